/**
 * The `response:` section of the configuration: what the appliance does when a device's trust falls, when a new
 * device appears and when a remote host has a bad reputation (src/respond/). Durations are seconds of packet
 * time. Nothing here touches traffic outside inline mode: passive and replay only record what would be done.
 */
import { canonicalMac, canonicalPrefix } from '../respond/firewall-address.js';
import { chainNameProblem, MAX_IPSET_TIMEOUT } from '../respond/firewall-rules.js';
import { bool, list, num, oneOf, str } from './fields.js';

const seconds = (def: number, doc: string) => num(def, doc, { int: true, min: 1, max: MAX_IPSET_TIMEOUT });

export const responseSchema = {
  firewall: oneOf(
    ['auto', 'dry-run'] as const,
    'auto',
    "'auto': the kernel firewall (iptables/ip6tables + ipset) in inline mode, a dry run (commands recorded, never run) in passive and replay; 'dry-run': never touch the firewall",
  ),
  chain: str('ARGUS-EDGE', 'name of the dedicated iptables/ip6tables chain; the ipset sets are named after it in lower case (argus-edge-q4, …)', chainNameProblem),
  autoQuarantine: bool(false, 'quarantine a device whose trust level becomes critical (inline mode; elsewhere only recorded as a dry run)'),
  requireApproval: bool(false, "automatic quarantines, blocks and rate limits wait as 'pending' until an admin approves them"),
  pendingExpirySeconds: seconds(86400, "a pending action nobody approved or denied within this long expires (state 'expired', never enforced)"),
  quarantineSeconds: seconds(3600, 'how long an automatic quarantine lasts before escalation'),
  escalationFactor: num(2, 'a repeat offender\'s quarantine lasts quarantineSeconds × escalationFactor^(earlier quarantines within escalationWindowHours)', { min: 1, max: 100 }),
  escalationWindowHours: num(24, 'how far back earlier quarantines count for escalation; 0 turns escalation off', { min: 0 }),
  maxQuarantineSeconds: seconds(604800, 'cap on an escalated quarantine (default 7 days; at most 24.8 days, the kernel set timeout limit)'),
  newDevice: oneOf(
    ['allow', 'alert', 'quarantine'] as const,
    'allow',
    "a device seen for the first time: 'allow' it, 'alert' (audit entry and notification), or 'quarantine' it until an admin releases it",
  ),
  rateLimitOnAlert: bool(false, "rate-limit a device's new connections when its trust level becomes alert"),
  rateLimitPerSecond: num(10, 'new connections per second a rate-limited device may open (burst: twice this)', { int: true, min: 1, max: 100000 }),
  rateLimitSeconds: seconds(3600, 'how long a rate limit lasts'),
  blockBadReputation: bool(false, "block a remote address or prefix named by an 'intel.blocklist' alert"),
  blockSeconds: seconds(86400, 'how long an automatic block of a remote host lasts'),
  allowList: list(
    str('', 'MAC, IP address or CIDR prefix', (s) => (canonicalMac(s) !== null || canonicalPrefix(s) !== null ? null : 'a MAC, IP address or CIDR prefix (host bits zero)')),
    [],
    'devices and hosts never acted on (MACs, IPs, CIDR prefixes); the dashboard can add more at run time',
  ),
  maxActiveActions: num(1024, 'cap on pending plus active actions; beyond it automatic responses are refused and counted (a flood of new MACs cannot fill the firewall)', { int: true, min: 1 }),
} as const;
