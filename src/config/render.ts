/** Renders the documented default configuration (config.yaml) from the schema. */
import { stringify } from 'yaml';
import type { Field } from './fields.js';
import { schema } from './schema.js';

type SchemaNode = Field<unknown> | { [k: string]: SchemaNode };

const HEADER = `# Argus Edge configuration: every key with its default.
#
# Any key can be overridden by an environment variable named ARGUS_EDGE_ + the key path upper-cased with
# '.' replaced by '_' (web.port -> ARGUS_EDGE_WEB_PORT, flow.timeouts.udp -> ARGUS_EDGE_FLOW_TIMEOUTS_UDP;
# lists are comma-separated), and the common ones by command-line flags (see 'argus-edge --help').
# An unknown key or a bad value stops the appliance with a message naming the key, the file and the line.
`;

function scalar(v: unknown): string {
  return stringify(v).trimEnd();
}

export function renderConfigYaml(): string {
  const lines: string[] = [HEADER];
  const walk = (node: Record<string, SchemaNode>, indent: string): void => {
    for (const [key, child] of Object.entries(node)) {
      if ((child as Field<unknown>).field === true) {
        const f = child as Field<unknown>;
        lines.push(`${indent}# ${f.doc}`);
        if (Array.isArray(f.default) && f.default.length > 0) {
          lines.push(`${indent}${key}:`);
          for (const item of f.default) lines.push(`${indent}  - ${scalar(item)}`);
        } else {
          lines.push(`${indent}${key}: ${scalar(f.default)}`);
        }
      } else {
        if (indent === '') lines.push('');
        lines.push(`${indent}${key}:`);
        walk(child as Record<string, SchemaNode>, indent + '  ');
      }
    }
  };
  walk(schema as unknown as Record<string, SchemaNode>, '');
  return lines.join('\n') + '\n';
}
