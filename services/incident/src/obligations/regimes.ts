import type { RegimeDataCategory, BusinessCalendar, Citation, ObligationCondition, Regime } from '@vigil/contracts';

/**
 * The default regime table: every rule is data citing its source, checked against
 * shared/reference/regulations.md (late 2026). A deployment corrects or extends it with an override
 * file (docs/obligations.md) rather than a code change. Not legal advice.
 */

const weekendsOnly: BusinessCalendar = { weekendDays: [0, 6], fixedHolidays: [], easterOffsets: [], dates: [] };

/** EU member states plus Iceland, Liechtenstein and Norway (the EEA, where the GDPR applies). */
const EEA = ['AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE', 'IS', 'LI', 'NO'];

const atLeastRisk: ObligationCondition = { kind: 'risk', atLeast: 'risk' };
const highRisk: ObligationCondition = { kind: 'risk', atLeast: 'high' };

const GDPR_URL = 'https://eur-lex.europa.eu/eli/reg/2016/679/oj';
const gdpr = (reference: string): Citation => ({ reference, url: GDPR_URL, sources: ['gdprhub.eu (Art. 34)', 'commonaccord (Art. 33)', 'EDPB Guidelines 9/2022 v2.0'] });
const ukGdpr = (article: string): Citation => ({
  reference: `UK GDPR Art. ${article}`,
  url: `https://www.legislation.gov.uk/eur/2016/679/article/${article.split('(')[0]}`,
  sources: ['ico.org.uk breach checklist', 'threatcluster.io (ICO guide, DUAA)'],
});
const GDPR_AUTHORITY_CONTENT = [
  'nature of the breach, with approximate numbers of data subjects and records concerned',
  'name and contact details of the DPO or other contact point',
  'likely consequences of the breach',
  'measures taken or proposed, including to mitigate adverse effects',
];
const GDPR_INDIVIDUAL_CONTENT = [
  'nature of the breach, in clear and plain language',
  'name and contact details of the DPO or other contact point',
  'likely consequences of the breach',
  'measures taken or proposed, including to mitigate adverse effects',
];

const CA_URL = 'https://leginfo.legislature.ca.gov/faces/codes_displaySection.xhtml?lawCode=CIV&sectionNum=1798.82';
const caSources = ['lexace.ai civ-1798.82', 'lcwlegal.com', 'swlaw.com', 'veeto.app SB-446'];
const HIPAA_URL = 'https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-D';
const hipaa = (section: string): Citation => ({ reference: `45 CFR ${section}`, url: HIPAA_URL, sources: ['brickergraydon.com §164.404/406', 'getpocketlaw.com §164.408'] });
const HIPAA_CONTENT = [
  'what happened, with the dates of the breach and of its discovery',
  'types of unsecured PHI involved',
  'steps individuals should take to protect themselves',
  'what the entity is doing to investigate, mitigate and prevent recurrence',
  'contact procedures: toll-free number, email, website or postal address',
];
const hipaaConditions: ObligationCondition[] = [{ kind: 'data_category_any', categories: ['health'] }, atLeastRisk];
const securedPhi = [{ kind: 'encrypted' as const, citation: hipaa('164.402 (unsecured PHI) and HHS guidance on securing PHI') }];

const NIS2_URL = 'https://eur-lex.europa.eu/eli/dir/2022/2555/oj';
const nis2 = (reference: string): Citation => ({ reference: `NIS2 Directive (EU) 2022/2555 ${reference}`, url: NIS2_URL, sources: ['nis2-info.eu', 'digiturvamalli.fi (Art. 23 text)'] });
const nis2Significant: ObligationCondition = { kind: 'determination', name: 'nis2.significant' };

const ph = (reference: string): Citation => ({ reference: `NPC Circular 16-03 ${reference}`, sources: ['legalresource.ph (IRR ss. 38-39)', 'alburolaw.com', 'NPC Advisory 2026-02 (16-03 still applies)'] });
const phConditions: ObligationCondition[] = [
  { kind: 'data_category_any', categories: ['health', 'government_id', 'financial', 'payment_card', 'credentials', 'special_category', 'biometric', 'genetic'] },
  highRisk,
];
const PH_CONTENT = ['nature of the breach', 'personal data involved', 'measures taken to address the breach', 'measures to reduce harm', 'PIC representatives and contact details', 'assistance offered to data subjects'];

const br = (reference: string): Citation => ({
  reference: `ANPD Resolution CD/ANPD 15/2024 ${reference}`,
  sources: ['trenchrossi.com', 'pradovidigal.com.br', 'bastilhocoelho.com.br', 'mobiletime.com.br', 'martinelli.adv.br'],
});
const brConditions: ObligationCondition[] = [
  atLeastRisk,
  {
    kind: 'any',
    of: [
      { kind: 'data_category_any', categories: ['special_category', 'health', 'biometric', 'genetic', 'minors', 'elderly', 'financial', 'payment_card', 'credentials', 'secrecy_protected'] },
      { kind: 'determination', name: 'lgpd.large-scale' },
    ],
  },
];
/** National holidays (Law 662/1949, Law 6.802/1980, Law 14.759/2023) and Good Friday. */
const brazilCalendar: BusinessCalendar = {
  weekendDays: [0, 6],
  fixedHolidays: ['01-01', '04-21', '05-01', '09-07', '10-12', '11-02', '11-15', '11-20', '12-25'],
  easterOffsets: [-2],
  dates: [],
};
const BR_ANPD_CONTENT = [
  'nature and categories of personal data affected',
  'number of data subjects affected, flagging children, adolescents and elderly people',
  'technical and security measures used to protect the data',
  'risks related to the incident',
  'reasons for any delay',
  'measures taken or to be taken to reverse or mitigate the effects',
  'date of the incident and date the controller learned of it',
  'DPO details',
  'controller and operator identification',
];

const PIPEDA_URL = 'https://laws-lois.justice.gc.ca/eng/acts/P-8.6/';
const pipeda = (reference: string): Citation => ({ reference, url: PIPEDA_URL, sources: ['priv.gc.ca', 'gazette.gc.ca SOR/2018-64', 'mondaq'] });

const PDPA_URL = 'https://sso.agc.gov.sg/Act/PDPA2012';
const pdpa = (reference: string): Citation => ({ reference, url: PDPA_URL, sources: ['laws.sg ss. 26B and 26D', 'S 64/2021 text', 'sorena.io'] });

const NYDFS_URL = 'https://www.law.cornell.edu/regulations/new-york/23-NYCRR-500.17';
const nydfs = (reference: string): Citation => ({ reference: `23 NYCRR ${reference}`, url: NYDFS_URL, sources: ['jonesday.com', 'covingtonblogs.com', 'alstonprivacy.com'] });

const ny = (section: string): Citation => ({ reference: `N.Y. Gen. Bus. Law ${section}`, sources: ['jonesday.com', 'covingtonblogs.com', 'alstonprivacy.com'] });
/** GBL 899-aa(1)(b): personal information with SSN, licence or ID number, account or card number with its code, biometrics, or credentials. */
const nyPrivateInformation: RegimeDataCategory[] = ['government_id', 'financial', 'payment_card', 'biometric', 'credentials', 'health'];

const au = (section: string): Citation => ({ reference: `Privacy Act 1988 (Cth) ${section}`, sources: ['austlii s26WL', 'zoelaw.ai s26WK', 'ato.gov.au s26WQ', 'rulesmate.com.au'] });
const AU_CONTENT = ['identity and contact details of the entity', 'description of the eligible data breach', 'kinds of information concerned', 'recommended steps for individuals'];

const appi = (reference: string): Citation => ({ reference: `APPI ${reference}`, sources: ['iuris.jp (Rule 8)', 'businesslawyers.jp 1433 and 1434'] });
const appiReportable: ObligationCondition = {
  kind: 'any',
  of: [
    { kind: 'data_category_any', categories: ['special_category', 'health', 'genetic', 'biometric', 'financial', 'payment_card', 'credentials'] },
    { kind: 'determination', name: 'appi.unlawful-purpose' },
    { kind: 'affected', min: 1001, per: 'scope' },
  ],
};
const APPI_CONTENT = [
  'overview of the incident',
  'personal data items involved',
  'number of people affected',
  'cause',
  'possible secondary damage',
  'response to the people affected',
  'publication status',
  'measures to prevent recurrence',
  'other relevant information',
];

/** Weekends and U.S. federal holidays as observed, 2026-2027 (the SEC's business days). */
const usFederalBusinessDays: BusinessCalendar = {
  weekendDays: [0, 6],
  fixedHolidays: [],
  easterOffsets: [],
  dates: [
    '2026-01-01', '2026-01-19', '2026-02-16', '2026-05-25', '2026-06-19', '2026-07-03', '2026-09-07', '2026-10-12', '2026-11-11', '2026-11-26', '2026-12-25',
    '2027-01-01', '2027-01-18', '2027-02-15', '2027-05-31', '2027-06-18', '2027-07-05', '2027-09-06', '2027-10-11', '2027-11-11', '2027-11-25', '2027-12-24', '2027-12-31',
  ],
};

export const defaultRegimes: readonly Regime[] = [
  {
    id: 'eu-gdpr',
    name: 'EU GDPR',
    authority: 'lead supervisory authority',
    scope: { kind: 'people', countries: EEA, establishedFlag: 'eeaEstablished' },
    timeZone: 'Europe/Brussels',
    calendar: weekendsOnly,
    notes: [
      'Aware = a reasonable degree of certainty that personal data were compromised; a prompt short investigation does not start the clock (EDPB 9/2022).',
      'Territorial scope: people in the EEA, or everyone affected when the organisation is established in the EEA (flag eeaEstablished, Art. 3(1)).',
      'A controller outside the EEA notifies every supervisory authority where data subjects live (EDPB 9/2022 para. 73).',
      'The 72 hours run through weekends: Reg. 1182/71 Art. 3(4) next-working-day rule excludes periods in hours.',
      'Art. 33(5): every breach goes in the breach log, whether or not notified.',
    ],
    rules: [
      {
        id: 'eu-gdpr.art33.authority',
        audience: 'authority',
        recipient: 'lead supervisory authority (a controller outside the EEA: every authority where affected people live, EDPB 9/2022 para. 73)',
        conditions: [atLeastRisk],
        exemptions: [],
        deadline: { kind: 'period', amount: 72, unit: 'hours', clockStart: 'awareness' },
        reasonsForDelayRequired: true,
        noticeContent: GDPR_AUTHORITY_CONTENT,
        citation: gdpr('GDPR Art. 33(1), 33(3)'),
      },
      {
        id: 'eu-gdpr.art34.individuals',
        audience: 'individuals',
        recipient: 'affected data subjects',
        conditions: [highRisk],
        exemptions: [{ kind: 'encrypted', citation: gdpr('GDPR Art. 34(3)(a)') }],
        deadline: { kind: 'none', clockStart: 'awareness', reason: 'without undue delay (GDPR Art. 34(1)): no fixed period' },
        reasonsForDelayRequired: false,
        noticeContent: GDPR_INDIVIDUAL_CONTENT,
        citation: gdpr('GDPR Art. 34(1), 34(2)'),
      },
    ],
  },
  {
    id: 'uk-gdpr',
    name: 'UK GDPR',
    authority: "Information Commissioner's Office (ICO)",
    scope: { kind: 'people', countries: ['GB'], establishedFlag: 'ukEstablished' },
    timeZone: 'Europe/London',
    calendar: weekendsOnly,
    notes: ['PECR breaches (communications providers): 72 h too since the Data (Use and Access) Act 2025 (ICO note, 20 Aug 2025).'],
    rules: [
      {
        id: 'uk-gdpr.art33.ico',
        audience: 'authority',
        recipient: 'ICO',
        conditions: [atLeastRisk],
        exemptions: [],
        deadline: { kind: 'period', amount: 72, unit: 'hours', clockStart: 'awareness' },
        reasonsForDelayRequired: true,
        noticeContent: GDPR_AUTHORITY_CONTENT,
        citation: ukGdpr('33(1)'),
      },
      {
        id: 'uk-gdpr.art34.individuals',
        audience: 'individuals',
        recipient: 'affected data subjects',
        conditions: [highRisk],
        exemptions: [{ kind: 'encrypted', citation: ukGdpr('34(3)(a)') }],
        deadline: { kind: 'none', clockStart: 'awareness', reason: 'without undue delay (UK GDPR Art. 34(1)): no fixed period' },
        reasonsForDelayRequired: false,
        noticeContent: GDPR_INDIVIDUAL_CONTENT,
        citation: ukGdpr('34(1)'),
      },
    ],
  },
  {
    id: 'us-ca',
    name: 'California Civ. Code 1798.82',
    authority: 'California Attorney General',
    scope: { kind: 'people', countries: ['US'], regions: ['CA'] },
    timeZone: 'America/Los_Angeles',
    calendar: weekendsOnly,
    notes: [
      'SB 446 (in force 1 Jan 2026) replaced "most expedient time possible" with 30 calendar days; delay allowed for law enforcement or to determine the scope.',
      'Notice format: title "Notice of Data Breach", headings What Happened / What Information Was Involved / What We Are Doing / What You Can Do / For More Information, at least 10-point type.',
    ],
    rules: [
      {
        id: 'us-ca.residents',
        audience: 'individuals',
        recipient: 'affected California residents',
        conditions: [{ kind: 'data_category_any', categories: ['government_id', 'financial', 'payment_card', 'credentials', 'health', 'biometric', 'genetic'] }],
        exemptions: [{ kind: 'encrypted', citation: { reference: 'Cal. Civ. Code 1798.82(a)', url: CA_URL, sources: caSources } }],
        deadline: { kind: 'period', amount: 30, unit: 'calendar_days', clockStart: 'discovery' },
        reasonsForDelayRequired: false,
        noticeContent: [
          "notifier's name and contact information",
          'types of personal information involved',
          'date, estimated date or date range of the breach',
          'date of the notice',
          'whether notice was delayed by a law-enforcement investigation',
          'general description of the incident',
          'toll-free numbers and addresses of the major credit reporting agencies, if SSN or driver licence/ID numbers were exposed',
          'offer of at least 12 months of identity-theft prevention services, if the notifier was the source and SSN or government ID numbers were exposed',
        ],
        citation: { reference: 'Cal. Civ. Code 1798.82(a), (d) (as amended by SB 446)', url: CA_URL, sources: caSources },
      },
      {
        id: 'us-ca.attorney-general',
        audience: 'authority',
        recipient: 'California Attorney General (sample copy of the resident notice, no personal information)',
        conditions: [
          { kind: 'affected', min: 501, per: 'scope' },
          { kind: 'data_category_any', categories: ['government_id', 'financial', 'payment_card', 'credentials', 'health', 'biometric', 'genetic'] },
        ],
        exemptions: [{ kind: 'encrypted', citation: { reference: 'Cal. Civ. Code 1798.82(a)', url: CA_URL, sources: caSources } }],
        deadline: { kind: 'period', amount: 15, unit: 'calendar_days', clockStart: 'prior_report', afterRuleId: 'us-ca.residents' },
        reasonsForDelayRequired: false,
        noticeContent: ['one sample copy of the resident notice, without personal information'],
        citation: { reference: 'Cal. Civ. Code 1798.82(f) (as amended by SB 446)', url: CA_URL, sources: caSources },
      },
    ],
  },
  {
    id: 'us-hipaa',
    name: 'HIPAA Breach Notification Rule',
    authority: 'HHS Office for Civil Rights',
    scope: { kind: 'entity', flag: 'hipaaCoveredEntity' },
    timeZone: 'America/New_York',
    calendar: weekendsOnly,
    notes: [
      'Discovery: the first day the breach is known, or by reasonable diligence would have been known, to any workforce member (164.404(a)(2)).',
      'A breach of unsecured PHI is presumed unless a four-factor assessment shows a low probability of compromise (record the risk as "unlikely").',
      'Law-enforcement delay: 164.412. A business associate tells the covered entity within 60 days (164.410). Keep documentation 6 years.',
    ],
    rules: [
      {
        id: 'us-hipaa.individuals',
        audience: 'individuals',
        recipient: 'affected individuals (first-class mail, or email if agreed)',
        conditions: hipaaConditions,
        exemptions: securedPhi,
        deadline: { kind: 'period', amount: 60, unit: 'calendar_days', clockStart: 'discovery' },
        reasonsForDelayRequired: false,
        noticeContent: HIPAA_CONTENT,
        citation: hipaa('164.404(b), (c)'),
      },
      {
        id: 'us-hipaa.hhs',
        audience: 'authority',
        recipient: 'Secretary of HHS (breach portal), at the same time as individuals',
        conditions: [...hipaaConditions, { kind: 'affected', min: 500, per: 'scope' }],
        exemptions: securedPhi,
        deadline: { kind: 'period', amount: 60, unit: 'calendar_days', clockStart: 'discovery' },
        reasonsForDelayRequired: false,
        noticeContent: HIPAA_CONTENT,
        citation: hipaa('164.408(b)'),
      },
      {
        id: 'us-hipaa.hhs-annual-log',
        audience: 'authority',
        recipient: 'Secretary of HHS (annual submission of breaches under 500)',
        conditions: [...hipaaConditions, { kind: 'affected', max: 499, per: 'scope' }],
        exemptions: securedPhi,
        deadline: { kind: 'period', amount: 60, unit: 'calendar_days', clockStart: 'discovery_year_end' },
        reasonsForDelayRequired: false,
        noticeContent: HIPAA_CONTENT,
        citation: hipaa('164.408(c)'),
      },
      {
        id: 'us-hipaa.media',
        audience: 'media',
        recipient: 'prominent media outlets serving the State',
        conditions: [...hipaaConditions, { kind: 'affected', min: 501, per: 'region', country: 'US' }],
        exemptions: securedPhi,
        deadline: { kind: 'period', amount: 60, unit: 'calendar_days', clockStart: 'discovery' },
        reasonsForDelayRequired: false,
        noticeContent: HIPAA_CONTENT,
        citation: hipaa('164.406'),
      },
    ],
  },
  {
    id: 'eu-nis2',
    name: 'NIS2 Directive Art. 23',
    authority: 'CSIRT or competent authority',
    scope: { kind: 'entity', flag: 'nis2Entity' },
    timeZone: 'Europe/Brussels',
    calendar: weekendsOnly,
    notes: [
      'Applies to essential and important entities for significant incidents (record the determination nis2.significant).',
      'Intermediate report on request; if the incident is ongoing at the final-report deadline, a progress report then and the final report within one month of handling it.',
      'National transposition may add to these rules: override per deployment.',
    ],
    rules: [
      {
        id: 'eu-nis2.early-warning',
        audience: 'authority',
        recipient: 'CSIRT or competent authority',
        phase: 'early warning',
        conditions: [nis2Significant],
        exemptions: [],
        deadline: { kind: 'period', amount: 24, unit: 'hours', clockStart: 'awareness' },
        reasonsForDelayRequired: false,
        noticeContent: ['whether the incident is suspected of being caused by unlawful or malicious acts', 'whether it could have a cross-border impact'],
        citation: nis2('Art. 23(4)(a)'),
      },
      {
        id: 'eu-nis2.notification',
        audience: 'authority',
        recipient: 'CSIRT or competent authority',
        phase: 'incident notification',
        conditions: [nis2Significant, { kind: 'org_flag', flag: 'trustServiceProvider', is: false }],
        exemptions: [],
        deadline: { kind: 'period', amount: 72, unit: 'hours', clockStart: 'awareness' },
        reasonsForDelayRequired: false,
        noticeContent: ['update of the early warning', 'initial assessment: severity and impact', 'indicators of compromise, where available'],
        citation: nis2('Art. 23(4)(b)'),
      },
      {
        id: 'eu-nis2.notification-trust-service',
        audience: 'authority',
        recipient: 'CSIRT or competent authority',
        phase: 'incident notification',
        conditions: [nis2Significant, { kind: 'org_flag', flag: 'trustServiceProvider', is: true }],
        exemptions: [],
        deadline: { kind: 'period', amount: 24, unit: 'hours', clockStart: 'awareness' },
        reasonsForDelayRequired: false,
        noticeContent: ['update of the early warning', 'initial assessment: severity and impact', 'indicators of compromise, where available'],
        citation: nis2('Art. 23(4)(b), second subparagraph (trust service providers)'),
      },
      {
        id: 'eu-nis2.final-report',
        audience: 'authority',
        recipient: 'CSIRT or competent authority',
        phase: 'final report',
        conditions: [nis2Significant],
        exemptions: [],
        deadline: { kind: 'period', amount: 1, unit: 'calendar_months', clockStart: 'prior_report', afterRuleId: 'eu-nis2.notification' },
        reasonsForDelayRequired: false,
        noticeContent: ['detailed description: severity and impact', 'type of threat or root cause', 'mitigation measures applied and ongoing', 'cross-border impact, where applicable'],
        citation: nis2('Art. 23(4)(d)'),
      },
    ],
  },
  {
    id: 'ph-npc',
    name: 'Philippines NPC Circular 16-03',
    authority: 'National Privacy Commission',
    scope: { kind: 'people', countries: ['PH'] },
    timeZone: 'Asia/Manila',
    calendar: weekendsOnly,
    notes: [
      'Still in force: Circular 2023-06 repealed 16-01 (security), not 16-03; NPC Advisory 2026-02 applies 16-03.',
      'No delay of notice if 100 or more data subjects are affected, or disclosure of sensitive personal information would harm them. Full report within 5 days is unconfirmed.',
      'The NPC may exempt notification of data subjects (Sec. 19): record the exemption as a report with its reference.',
    ],
    rules: [
      {
        id: 'ph-npc.commission',
        audience: 'authority',
        recipient: 'National Privacy Commission',
        conditions: phConditions,
        exemptions: [],
        deadline: { kind: 'period', amount: 72, unit: 'hours', clockStart: 'awareness' },
        reasonsForDelayRequired: true,
        noticeContent: PH_CONTENT,
        citation: ph('Sec. 11, 17'),
      },
      {
        id: 'ph-npc.data-subjects',
        audience: 'individuals',
        recipient: 'affected data subjects',
        conditions: phConditions,
        exemptions: [],
        deadline: { kind: 'period', amount: 72, unit: 'hours', clockStart: 'awareness' },
        reasonsForDelayRequired: false,
        noticeContent: PH_CONTENT,
        citation: ph('Sec. 18'),
      },
    ],
  },
  {
    id: 'br-lgpd',
    name: 'Brazil LGPD (ANPD Resolution 15/2024)',
    authority: 'Autoridade Nacional de Proteção de Dados (ANPD)',
    scope: { kind: 'people', countries: ['BR'] },
    timeZone: 'America/Sao_Paulo',
    calendar: brazilCalendar,
    notes: [
      'Business days skip weekends, national holidays and Good Friday; optional federal closures (Carnival, Corpus Christi) and state or municipal holidays are not counted as holidays: add them under calendar.dates.',
      'Complementary information within 20 business days; a register of all incidents kept at least 5 years.',
      'If individual notice is impossible: public notice kept for at least 90 days.',
    ],
    rules: [
      {
        id: 'br-lgpd.anpd',
        audience: 'authority',
        recipient: 'ANPD (incident communication form)',
        conditions: [...brConditions, { kind: 'org_flag', flag: 'brazilSmallAgent', is: false }],
        exemptions: [],
        deadline: { kind: 'period', amount: 3, unit: 'business_days', clockStart: 'awareness' },
        reasonsForDelayRequired: true,
        noticeContent: BR_ANPD_CONTENT,
        citation: br('Art. 6'),
      },
      {
        id: 'br-lgpd.anpd-small-agent',
        audience: 'authority',
        recipient: 'ANPD (incident communication form)',
        conditions: [...brConditions, { kind: 'org_flag', flag: 'brazilSmallAgent', is: true }],
        exemptions: [],
        deadline: { kind: 'period', amount: 6, unit: 'business_days', clockStart: 'awareness' },
        reasonsForDelayRequired: true,
        noticeContent: BR_ANPD_CONTENT,
        citation: br('Art. 6 (doubled period for small processing agents)'),
      },
      {
        id: 'br-lgpd.data-subjects',
        audience: 'individuals',
        recipient: 'affected data subjects',
        conditions: brConditions,
        exemptions: [],
        deadline: { kind: 'period', amount: 3, unit: 'business_days', clockStart: 'awareness' },
        reasonsForDelayRequired: true,
        noticeContent: [
          'nature and categories of personal data affected',
          'measures taken',
          'risks related to the incident',
          'reasons for any delay',
          'measures to reverse or mitigate the effects',
          'date the controller learned of the incident',
          'contact point',
        ],
        citation: br('Art. 9'),
      },
    ],
  },
  {
    id: 'ca-pipeda',
    name: 'Canada PIPEDA',
    authority: 'Office of the Privacy Commissioner of Canada (OPC)',
    scope: { kind: 'people', countries: ['CA'] },
    timeZone: 'America/Toronto',
    calendar: weekendsOnly,
    notes: [
      'Threshold: a real risk of significant harm (record the risk as "high"). The clock reference is the determination pipeda.breach-occurred.',
      'Also notify organisations or government institutions that can reduce the risk (s. 10.1(6)). Keep a record of every breach for 24 months (s. 10.3, SOR/2018-64 s. 6).',
    ],
    rules: [
      {
        id: 'ca-pipeda.opc',
        audience: 'authority',
        recipient: 'Office of the Privacy Commissioner of Canada',
        conditions: [highRisk],
        exemptions: [],
        deadline: { kind: 'none', clockStart: 'determination', determination: 'pipeda.breach-occurred', reason: 'as soon as feasible after determining that the breach occurred (PIPEDA s. 10.1(2)): no fixed period' },
        reasonsForDelayRequired: false,
        noticeContent: [
          'circumstances and cause of the breach',
          'date or period of the breach',
          'personal information involved',
          'number of individuals affected',
          'steps taken to reduce the risk of harm',
          'how individuals will be notified',
          'contact person',
        ],
        citation: pipeda('PIPEDA s. 10.1(1)-(2); Breach of Security Safeguards Regulations SOR/2018-64 s. 2'),
      },
      {
        id: 'ca-pipeda.individuals',
        audience: 'individuals',
        recipient: 'affected individuals (directly; indirectly where direct notice is impractical)',
        conditions: [highRisk],
        exemptions: [],
        deadline: { kind: 'none', clockStart: 'determination', determination: 'pipeda.breach-occurred', reason: 'as soon as feasible after determining that the breach occurred (PIPEDA s. 10.1(6)): no fixed period' },
        reasonsForDelayRequired: false,
        noticeContent: [
          'circumstances of the breach',
          'date or period of the breach',
          'personal information involved',
          'steps taken to reduce the risk of harm',
          'steps individuals can take',
          'toll-free number or email address for questions',
          'internal complaint process and the right to complain to the OPC',
        ],
        citation: pipeda('PIPEDA s. 10.1(3)-(6); SOR/2018-64 s. 3'),
      },
    ],
  },
  {
    id: 'sg-pdpa',
    name: 'Singapore PDPA Part 6A',
    authority: 'Personal Data Protection Commission (PDPC)',
    scope: { kind: 'people', countries: ['SG'] },
    timeZone: 'Asia/Singapore',
    calendar: weekendsOnly,
    notes: [
      'Notifiable: significant harm, or 500 or more individuals (s. 26B). Individuals are not notified if law enforcement or the PDPC so directs (s. 26D(5)-(6)).',
      'Record the end of the assessment (assessment_end): the PDPC clock counts from it.',
    ],
    rules: [
      {
        id: 'sg-pdpa.assessment',
        audience: 'internal',
        recipient: 'the organisation (assessment whether the breach is notifiable)',
        conditions: [],
        exemptions: [],
        deadline: { kind: 'period', amount: 30, unit: 'calendar_days', clockStart: 'awareness' },
        reasonsForDelayRequired: true,
        noticeContent: ['documented assessment of whether the breach is notifiable, with its steps'],
        citation: pdpa('PDPA s. 26C(2); PDPC Guide on Managing and Notifying Data Breaches (30 days)'),
      },
      {
        id: 'sg-pdpa.commission',
        audience: 'authority',
        recipient: 'PDPC',
        conditions: [{ kind: 'any', of: [highRisk, { kind: 'affected', min: 500, per: 'scope' }] }],
        exemptions: [],
        deadline: { kind: 'period', amount: 3, unit: 'calendar_days', clockStart: 'assessment_end' },
        reasonsForDelayRequired: false,
        noticeContent: [
          'date and circumstances in which the organisation became aware of the breach',
          'chronology of events and how the breach was assessed',
          'cause of the breach',
          'number of individuals affected',
          'personal data involved',
          'potential harm',
          'remedial actions taken or to be taken',
          'plan to notify affected individuals',
          "the organisation's representative and contact",
        ],
        citation: pdpa('PDPA s. 26D(1); Personal Data Protection (Notification of Data Breaches) Regulations 2021 reg. 5'),
      },
      {
        id: 'sg-pdpa.individuals',
        audience: 'individuals',
        recipient: 'affected individuals',
        conditions: [highRisk],
        exemptions: [{ kind: 'encrypted', citation: pdpa('PDPA s. 26D(5)(b); Notification of Data Breaches Regulations 2021') }],
        deadline: { kind: 'none', clockStart: 'assessment_end', reason: 'on or after notifying the PDPC (PDPA s. 26D(2)): no fixed period' },
        reasonsForDelayRequired: false,
        noticeContent: ['circumstances of the breach', 'personal data involved', 'potential harm', 'actions taken', 'steps individuals can take', 'contact'],
        citation: pdpa('PDPA s. 26D(2); Notification of Data Breaches Regulations 2021 reg. 6'),
      },
    ],
  },
  {
    id: 'us-nydfs',
    name: 'NYDFS Cybersecurity Regulation 500.17',
    authority: 'New York State Department of Financial Services',
    scope: { kind: 'entity', flag: 'nydfsCoveredEntity' },
    timeZone: 'America/New_York',
    calendar: weekendsOnly,
    notes: [
      'Reportable: a cybersecurity incident at the entity, an affiliate or a third-party service provider that must be reported to a government body, has a reasonable likelihood of material harm, or deployed ransomware (record nydfs.reportable).',
      'Continuing updates as material information becomes known; annual compliance certification by 15 April; keep supporting records 5 years.',
    ],
    rules: [
      {
        id: 'us-nydfs.incident',
        audience: 'authority',
        recipient: 'DFS superintendent (DFS portal)',
        conditions: [{ kind: 'determination', name: 'nydfs.reportable' }],
        exemptions: [],
        deadline: { kind: 'period', amount: 72, unit: 'hours', clockStart: 'determination', determination: 'nydfs.reportable' },
        reasonsForDelayRequired: false,
        noticeContent: ['information requested in the DFS portal about the incident', 'updates as material changes or new information become known'],
        citation: nydfs('500.17(a)(1)'),
      },
      {
        id: 'us-nydfs.ransom-payment',
        audience: 'authority',
        recipient: 'DFS superintendent',
        phase: 'extortion payment notice',
        conditions: [{ kind: 'fact_recorded', fact: 'ransom_payment' }],
        exemptions: [],
        deadline: { kind: 'period', amount: 24, unit: 'hours', clockStart: 'ransom_payment' },
        reasonsForDelayRequired: false,
        noticeContent: ['notice that an extortion payment was made'],
        citation: nydfs('500.17(c)(1)'),
      },
      {
        id: 'us-nydfs.ransom-explanation',
        audience: 'authority',
        recipient: 'DFS superintendent',
        phase: 'extortion payment explanation',
        conditions: [{ kind: 'fact_recorded', fact: 'ransom_payment' }],
        exemptions: [],
        deadline: { kind: 'period', amount: 30, unit: 'calendar_days', clockStart: 'ransom_payment' },
        reasonsForDelayRequired: false,
        noticeContent: ['reasons the payment was necessary', 'alternatives considered', 'diligence performed to find alternatives', 'diligence performed to ensure compliance with sanctions rules'],
        citation: nydfs('500.17(c)(2)'),
      },
    ],
  },
  {
    id: 'us-ny',
    name: 'New York GBL 899-aa',
    authority: 'New York Attorney General, Department of State, State Police and DFS',
    scope: { kind: 'people', countries: ['US'], regions: ['NY'] },
    timeZone: 'America/New_York',
    calendar: weekendsOnly,
    notes: [
      'S2659B (21 Dec 2024): 30 days from discovery, DFS added to the regulators. Delay only for law enforcement.',
      'Keep a determination that a disclosure was inadvertent and unlikely to cause harm for 5 years (u). A copy to the AG within 10 days when over 500 are affected is unconfirmed and not encoded.',
    ],
    rules: [
      {
        id: 'us-ny.residents',
        audience: 'individuals',
        recipient: 'affected New York residents (written, email or telephone notice)',
        conditions: [{ kind: 'data_category_any', categories: nyPrivateInformation }],
        exemptions: [{ kind: 'encrypted', citation: ny('899-aa(1)(b), (2)') }],
        deadline: { kind: 'period', amount: 30, unit: 'calendar_days', clockStart: 'discovery' },
        reasonsForDelayRequired: false,
        noticeContent: ["notifier's contact information", 'telephone numbers and websites of state and federal agencies with identity-theft information', 'categories of information acquired or accessed'],
        citation: ny('899-aa(2), (7) (as amended by S2659B)'),
      },
      {
        id: 'us-ny.state-agencies',
        audience: 'authority',
        recipient: 'NY Attorney General, Department of State, Division of State Police and DFS',
        conditions: [{ kind: 'data_category_any', categories: nyPrivateInformation }],
        exemptions: [{ kind: 'encrypted', citation: ny('899-aa(1)(b), (2)') }],
        deadline: { kind: 'none', clockStart: 'discovery', reason: 'with the resident notices: the statute sets no separate period (GBL 899-aa(8)(a))' },
        reasonsForDelayRequired: false,
        noticeContent: ['timing, content and distribution of the resident notices', 'approximate number of affected persons', 'a copy of the template notice'],
        citation: ny('899-aa(8)(a)'),
      },
      {
        id: 'us-ny.consumer-reporting-agencies',
        audience: 'authority',
        recipient: 'consumer reporting agencies',
        conditions: [{ kind: 'data_category_any', categories: nyPrivateInformation }, { kind: 'affected', min: 5001, per: 'scope' }],
        exemptions: [{ kind: 'encrypted', citation: ny('899-aa(1)(b), (2)') }],
        deadline: { kind: 'none', clockStart: 'discovery', reason: 'with the resident notices: the statute sets no separate period (GBL 899-aa(8)(b))' },
        reasonsForDelayRequired: false,
        noticeContent: ['timing, distribution and content of the notices', 'approximate number of affected persons'],
        citation: ny('899-aa(8)(b)'),
      },
    ],
  },
  {
    id: 'au-ndb',
    name: 'Australia Notifiable Data Breaches (Privacy Act Part IIIC)',
    authority: 'Office of the Australian Information Commissioner (OAIC)',
    scope: { kind: 'people', countries: ['AU'] },
    timeZone: 'Australia/Sydney',
    calendar: weekendsOnly,
    notes: [
      'Eligible breach: likely to result in serious harm (record the risk as "high"). Remedial action that makes serious harm unlikely ends the duty (s. 26WF); the Commissioner may exempt (s. 26WQ).',
      'Individuals: all, only those at risk, or publish on the website and publicise when neither is practicable (s. 26WL(2)).',
    ],
    rules: [
      {
        id: 'au-ndb.assessment',
        audience: 'internal',
        recipient: 'the entity (assessment of a suspected eligible breach)',
        conditions: [],
        exemptions: [],
        deadline: { kind: 'period', amount: 30, unit: 'calendar_days', clockStart: 'awareness' },
        reasonsForDelayRequired: false,
        noticeContent: ['reasonable and expeditious assessment of whether the breach is eligible'],
        citation: au('s. 26WH(2)'),
      },
      {
        id: 'au-ndb.commissioner',
        audience: 'authority',
        recipient: 'OAIC (statement)',
        conditions: [highRisk],
        exemptions: [],
        deadline: { kind: 'none', clockStart: 'awareness', reason: 'as soon as practicable after becoming aware of an eligible breach (Privacy Act s. 26WK(2)): no fixed period' },
        reasonsForDelayRequired: false,
        noticeContent: AU_CONTENT,
        citation: au('s. 26WK'),
      },
      {
        id: 'au-ndb.individuals',
        audience: 'individuals',
        recipient: 'affected individuals (or those at risk; else publication)',
        conditions: [highRisk],
        exemptions: [],
        deadline: { kind: 'none', clockStart: 'awareness', reason: 'as soon as practicable after the statement to the OAIC (Privacy Act s. 26WL(3)): no fixed period' },
        reasonsForDelayRequired: false,
        noticeContent: AU_CONTENT,
        citation: au('s. 26WL'),
      },
    ],
  },
  {
    id: 'jp-appi',
    name: 'Japan APPI Art. 26',
    authority: 'Personal Information Protection Commission (PPC)',
    scope: { kind: 'people', countries: ['JP'] },
    timeZone: 'Asia/Tokyo',
    calendar: weekendsOnly,
    notes: [
      'Reportable: sensitive (special care-required) data, risk of financial damage, a possibly unlawful purpose (record appi.unlawful-purpose), or more than 1,000 people (Enforcement Rules Art. 7).',
      'How the 30 and 60 days are counted is unconfirmed (u): counted here like other calendar-day periods, from the day after awareness.',
    ],
    rules: [
      {
        id: 'jp-appi.preliminary',
        audience: 'authority',
        recipient: 'PPC',
        phase: 'preliminary report',
        conditions: [appiReportable],
        exemptions: [{ kind: 'encrypted', citation: appi('Enforcement Rules Art. 7 (advanced encryption)') }],
        deadline: { kind: 'none', clockStart: 'awareness', reason: 'promptly (PPC guidance: about 3-5 days): no fixed period' },
        reasonsForDelayRequired: false,
        noticeContent: APPI_CONTENT,
        citation: appi('Art. 26(1); Enforcement Rules Art. 8(1)'),
      },
      {
        id: 'jp-appi.final',
        audience: 'authority',
        recipient: 'PPC',
        phase: 'final report',
        conditions: [appiReportable, { kind: 'determination', name: 'appi.unlawful-purpose', is: false }],
        exemptions: [{ kind: 'encrypted', citation: appi('Enforcement Rules Art. 7 (advanced encryption)') }],
        deadline: { kind: 'period', amount: 30, unit: 'calendar_days', clockStart: 'awareness' },
        reasonsForDelayRequired: false,
        noticeContent: APPI_CONTENT,
        citation: appi('Art. 26(1); Enforcement Rules Art. 8(2)'),
      },
      {
        id: 'jp-appi.final-unlawful-purpose',
        audience: 'authority',
        recipient: 'PPC',
        phase: 'final report',
        conditions: [{ kind: 'determination', name: 'appi.unlawful-purpose' }],
        exemptions: [{ kind: 'encrypted', citation: appi('Enforcement Rules Art. 7 (advanced encryption)') }],
        deadline: { kind: 'period', amount: 60, unit: 'calendar_days', clockStart: 'awareness' },
        reasonsForDelayRequired: false,
        noticeContent: APPI_CONTENT,
        citation: appi('Art. 26(1); Enforcement Rules Art. 8(2)'),
      },
      {
        id: 'jp-appi.individuals',
        audience: 'individuals',
        recipient: 'affected individuals (or public notice or a contact desk where impracticable)',
        conditions: [appiReportable],
        exemptions: [{ kind: 'encrypted', citation: appi('Enforcement Rules Art. 7 (advanced encryption)') }],
        deadline: { kind: 'none', clockStart: 'awareness', reason: 'promptly, as the circumstances permit (APPI Art. 26(2)): no fixed period' },
        reasonsForDelayRequired: false,
        noticeContent: ['overview of the incident', 'personal data items involved', 'cause', 'possible secondary damage', 'other relevant information'],
        citation: appi('Art. 26(2); Enforcement Rules Art. 10'),
      },
    ],
  },
  {
    id: 'us-sec',
    name: 'SEC Form 8-K Item 1.05',
    authority: 'U.S. Securities and Exchange Commission',
    scope: { kind: 'entity', flag: 'secRegistrant' },
    timeZone: 'America/New_York',
    calendar: usFederalBusinessDays,
    notes: [
      'The clock starts when the incident is determined material (record sec.material); the determination itself is due without unreasonable delay after discovery.',
      'The U.S. Attorney General may delay disclosure by 30 days, extendable. Information not yet known is said so and added by 8-K/A within 4 business days of becoming available.',
      'Business days skip weekends and the federal holidays listed under calendar.dates (2026-2027): extend the list each year.',
    ],
    rules: [
      {
        id: 'us-sec.8k-item-1-05',
        audience: 'authority',
        recipient: 'SEC (Form 8-K, Item 1.05)',
        conditions: [{ kind: 'determination', name: 'sec.material' }],
        exemptions: [],
        deadline: { kind: 'period', amount: 4, unit: 'business_days', clockStart: 'determination', determination: 'sec.material' },
        reasonsForDelayRequired: false,
        noticeContent: ['material aspects of the nature, scope and timing of the incident', 'material impact or reasonably likely material impact, including on financial condition and results of operations'],
        citation: { reference: 'Form 8-K Item 1.05 and General Instruction B.1 (Release 33-11216)', url: 'https://www.sec.gov/rules/final/2023/33-11216.pdf', sources: ['breachdocket.com', 'cooleypubco.com', 'kpmg.com'] },
      },
    ],
  },
];

