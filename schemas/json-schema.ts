import { z } from './zod.ts';
import { ConfigSchema } from './config.ts';
import { PacketFieldsSchema, SUFFICIENCY_RULES } from './packet.ts';

type JsonSchema = Record<string, any>;

// Draft-07: the draft editors' JSON support knows best. Input side: defaults are not required.
const OPTIONS = { io: 'input', target: 'draft-7', reused: 'inline' } as const;

/** docs/schemas/config.schema.json: buran.config.json as the config loader accepts it. */
export function configJsonSchema(): JsonSchema {
  return {
    ...z.toJSONSchema(ConfigSchema, OPTIONS),
    title: 'Buran config (buran.config.json)',
    description: 'Workers, verification policy, limits, leases, workspace and handoff. Keys named "//" are notes. A worker has "command" or "preset", never both.',
  };
}

// The packet's zod schema has every field optional (an insufficient packet still becomes a run that
// says what it lacks); for an editor, the sufficiency rules are what "required" means.
const ALTERNATIVE_PARENT: Record<string, string> = { scm_target: 'github' };

/** docs/schemas/packet.schema.json: one packet, with the sufficiency rules as required fields. */
export function packetJsonSchema(): JsonSchema {
  const schema: JsonSchema = {
    ...z.toJSONSchema(PacketFieldsSchema, OPTIONS),
    title: 'Buran work-item packet',
    description: 'Approved work for one run. A list of packets is { "packets": [ … ] }, each of this shape.',
  };
  const required = new Set<string>();
  const alternatives: JsonSchema[] = [];
  for (const rule of SUFFICIENCY_RULES) {
    const [parent, child] = rule.item.split('.') as [string, string | undefined];
    if (child === undefined) {
      required.add(parent);
      continue;
    }
    const other = ALTERNATIVE_PARENT[parent];
    if (other !== undefined) {
      requireChild(schema, parent, child);
      requireChild(schema, other, child);
      alternatives.push({ required: [parent] }, { required: [other] });
      continue;
    }
    required.add(parent);
    requireChild(schema, parent, child);
  }
  schema.properties.approved = { ...schema.properties.approved, const: true };
  schema.required = [...required];
  if (alternatives.length > 0) schema.anyOf = alternatives;
  return schema;
}

function requireChild(schema: JsonSchema, parent: string, child: string): void {
  const node = schema.properties[parent];
  node.required = [...new Set([...(node.required ?? []), child])];
  const field = node.properties[child];
  if (field.type === 'array') field.minItems = Math.max(field.minItems ?? 0, 1);
}

/** The schema files under docs/schemas/, by file name. */
export function jsonSchemaFiles(): Record<string, JsonSchema> {
  return { 'config.schema.json': configJsonSchema(), 'packet.schema.json': packetJsonSchema() };
}

/** A schema file's text: what `npm run schemas` writes and the drift test compares. */
export const schemaText = (schema: JsonSchema) => `${JSON.stringify(schema, null, 2)}\n`;
