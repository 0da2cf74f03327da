/**
 * Step-by-step remediation guidance for the admin alert ("recommended actions" of the alert
 * workflow), per incident category. Plain strings: the templates escape them.
 */
export function recommendedActions(category: string, incident: { number: string; sourceIp: string | null }): string[] {
  const keepUpdated = `Keep incident ${incident.number} updated in Vigil: record what you did and move it to "contained" once the attack is stopped.`;
  if (category === 'brute_force') {
    const source = incident.sourceIp ?? 'the attacking source addresses';
    return [
      `Block ${source} at the edge (firewall, WAF or load balancer) now.`,
      `Check whether any targeted account later logged in successfully${incident.sourceIp ? ` from ${incident.sourceIp}` : ''}; treat any such account as compromised.`,
      'Force a password reset and enable two-factor authentication for every targeted account.',
      keepUpdated,
    ];
  }
  return [
    'Confirm the scope: which systems, accounts and data are affected.',
    'Contain the threat: revoke exposed credentials and isolate affected systems.',
    'Preserve evidence (logs, affected records) before making further changes.',
    keepUpdated,
  ];
}
