import type { IncidentCreatedV1 } from '@vigil/contracts';
import { compileTemplate, createTemplateEngine, defaultTemplatesDir, toHeaderValue, type Render } from '../templates/engine';
import { recommendedActions } from './recommended-actions';

/** What the admin-alert templates see. Every field is present (null when absent): templates run in strict mode. */
export interface AdminAlertModel {
  org: { name: string };
  /** A tabletop exercise: marked as such in the subject and the body. */
  drill: boolean;
  incident: {
    number: string;
    title: string;
    severity: string;
    status: string;
    category: string;
    detectedAt: string;
    description: string;
    sourceIp: string | null;
    eventCount: number | null;
  };
  actions: string[];
  incidentUrl: string | null;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export function adminAlertModel(incident: IncidentCreatedV1, orgName: string, consoleUrl?: string): AdminAlertModel {
  const sourceIp = incident.origin.ip ?? null;
  return {
    org: { name: orgName },
    drill: incident.drill === true,
    incident: {
      number: incident.number,
      title: incident.title,
      severity: incident.severity,
      status: incident.status,
      category: incident.category,
      detectedAt: incident.detectedAt,
      description: incident.description || '(no description)',
      sourceIp,
      eventCount: incident.origin.eventCount ?? null,
    },
    actions: recommendedActions(incident.category, { number: incident.number, sourceIp }),
    incidentUrl: consoleUrl ? new URL(`incidents/${encodeURIComponent(incident.number)}`, consoleUrl.endsWith('/') ? consoleUrl : `${consoleUrl}/`).toString() : null,
  };
}

/** The admin alert's three templates, compiled once at start-up. */
export class AdminAlertTemplates {
  private constructor(
    private readonly subject: Render<AdminAlertModel>,
    private readonly text: Render<AdminAlertModel>,
    private readonly html: Render<AdminAlertModel>,
  ) {}

  static load(dir: string = defaultTemplatesDir): AdminAlertTemplates {
    const hbs = createTemplateEngine();
    return new AdminAlertTemplates(
      compileTemplate(hbs, dir, 'admin-alert', 'subject'),
      compileTemplate(hbs, dir, 'admin-alert', 'text'),
      compileTemplate(hbs, dir, 'admin-alert', 'html'),
    );
  }

  render(model: AdminAlertModel): RenderedEmail {
    return {
      subject: toHeaderValue(this.subject(model)),
      text: this.text(model).replace(/\n{3,}/g, '\n\n').trim() + '\n',
      html: this.html(model),
    };
  }
}
