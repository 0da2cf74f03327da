import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { CONFIG, LOGGER } from '@vigil/platform';
import type { DetectionConfig } from '../config';
import type { BreachFeedConfig } from './config';
import { BreachFeedPoller } from './breach-feed.poller';
import { HibpClient } from './hibp.client';
import { WatchlistRepository } from './watchlist.repository';

/**
 * Runs the HIBP poller every VIGIL_HIBP_POLL_SECONDS when a key is configured; one poll at a time, on
 * one replica (partition 0): a second poller would report nothing new (exposures are keyed) but would
 * spend the subscription's request budget twice.
 */
@Injectable()
export class BreachFeedService implements OnApplicationBootstrap, OnApplicationShutdown {
  private poller?: BreachFeedPoller;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly abort = new AbortController();

  constructor(
    @Inject(CONFIG) private readonly config: BreachFeedConfig & Partial<Pick<DetectionConfig, 'VIGIL_DETECTION_PARTITION'>>,
    private readonly watchlist: WatchlistRepository,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const c = this.config;
    if (!c.VIGIL_HIBP_API_KEY) {
      this.log.info('breach feed off: VIGIL_HIBP_API_KEY is not set');
      return;
    }
    if ((c.VIGIL_DETECTION_PARTITION ?? 0) !== 0) {
      this.log.info({ partition: c.VIGIL_DETECTION_PARTITION }, 'breach feed polled by partition 0, not this replica');
      return;
    }
    const client = new HibpClient({ baseUrl: c.VIGIL_HIBP_BASE_URL, apiKey: c.VIGIL_HIBP_API_KEY, userAgent: c.VIGIL_HIBP_USER_AGENT, requestIntervalMs: c.VIGIL_HIBP_REQUEST_INTERVAL_MS, maxRetries: c.VIGIL_HIBP_MAX_RETRIES, signal: this.abort.signal });
    this.poller = new BreachFeedPoller(this.watchlist, client, this.log);
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.timer);
    this.poller?.stop();
    this.abort.abort();
    await this.running;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.running = this.poll().finally(() => {
        this.running = undefined;
        if (!this.poller?.isStopped) this.schedule(this.config.VIGIL_HIBP_POLL_SECONDS * 1000);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    try {
      const r = await this.poller!.pollOnce();
      this.log.info(r, 'breach feed polled');
    } catch (err) {
      this.log.warn({ err }, 'breach feed poll failed; retried next interval');
    }
  }
}
