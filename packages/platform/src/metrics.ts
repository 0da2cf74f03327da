import { Controller, Get, Inject, Injectable, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration } from 'prom-client';
import { SERVICE_OPTIONS } from './tokens';
import type { ServiceOptions } from './runtime';

export type { Counter, Gauge, Histogram } from 'prom-client';

/**
 * The process's Prometheus registry: every metric carries a `service` label, Vigil's own are named
 * `vigil_*`, Node's defaults (CPU, memory, event loop, GC) keep their standard names. One registry per
 * app, not prom-client's global one, so several apps in one test process don't collide.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  constructor(@Inject(SERVICE_OPTIONS) opts: Pick<ServiceOptions, 'service'>) {
    this.registry.setDefaultLabels({ service: opts.service });
    collectDefaultMetrics({ register: this.registry });
  }

  /** The counter of that name, created on first use (features may ask for it more than once). */
  counter<L extends string>(cfg: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    return (this.registry.getSingleMetric(cfg.name) as Counter<L> | undefined) ?? new Counter({ ...cfg, registers: [this.registry] });
  }

  gauge<L extends string>(cfg: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    return (this.registry.getSingleMetric(cfg.name) as Gauge<L> | undefined) ?? new Gauge({ ...cfg, registers: [this.registry] });
  }

  histogram<L extends string>(cfg: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
    return (this.registry.getSingleMetric(cfg.name) as Histogram<L> | undefined) ?? new Histogram({ ...cfg, registers: [this.registry] });
  }
}

@Controller()
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  /** Prometheus text exposition. Gauges of consumer lag and outbox depth are measured now. */
  @Get('metrics')
  async scrape(@Res() reply: FastifyReply) {
    const body = await this.metrics.registry.metrics();
    void reply.status(200).header('content-type', this.metrics.registry.contentType).send(body);
  }
}
