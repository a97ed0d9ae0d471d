/**
 * Just enough Avro schema walking to check pipeline files against their reader schema: does a
 * dotted path name a field, what type is there, may it be null. Works on the schema JSON (as
 * written in schemas/ or in Parsing Canonical Form), so normalize needs no Avro library and does
 * not depend on the codec stage being loaded.
 */

/**
 * Anything that can hand out a schema's JSON by name — the codec stage's `SchemaSet` fits. `get`
 * may return undefined or throw for an unknown name; both mean "no such schema".
 */
export interface SchemaSetLike {
  get(name: string): { readonly schemaJson: string } | undefined;
}

type JsonObject = { readonly [key: string]: unknown };

/** The type found at a path: its non-null branch, and whether null is possible on the way. */
export interface ResolvedAvroType {
  /** Avro type name of the non-null branch: a primitive, `record`, `enum`, `fixed`, `array` or `map`. */
  readonly typeName: string;
  readonly logicalType: string | undefined;
  /** Decimal scale (Avro default 0) when the logical type is decimal. */
  readonly scale: number | undefined;
  readonly nullable: boolean;
  readonly node: JsonObject | string;
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A parsed schema with its named types indexed, so references such as "Value" resolve. */
export class AvroSchemaIndex {
  private readonly named = new Map<string, JsonObject>();
  readonly root: unknown;

  constructor(schemaJson: string) {
    this.root = JSON.parse(schemaJson) as unknown;
    this.collect(this.root, '');
  }

  private collect(node: unknown, namespace: string): void {
    if (Array.isArray(node)) {
      for (const branch of node) this.collect(branch, namespace);
      return;
    }
    if (!isObject(node)) return;
    let ns = namespace;
    const type = node['type'];
    if ((type === 'record' || type === 'error' || type === 'enum' || type === 'fixed') && typeof node['name'] === 'string') {
      const name = node['name'];
      const ownNs = typeof node['namespace'] === 'string' ? node['namespace'] : namespace;
      const fullName = name.includes('.') ? name : ownNs ? `${ownNs}.${name}` : name;
      ns = fullName.includes('.') ? fullName.slice(0, fullName.lastIndexOf('.')) : '';
      this.named.set(fullName, node);
      const short = fullName.slice(fullName.lastIndexOf('.') + 1);
      if (!this.named.has(short)) this.named.set(short, node);
    }
    if (Array.isArray(node['fields'])) {
      for (const field of node['fields']) if (isObject(field)) this.collect(field['type'], ns);
    }
    if (isObject(type) || Array.isArray(type)) this.collect(type, ns);
    if (node['items'] !== undefined) this.collect(node['items'], ns);
    if (node['values'] !== undefined) this.collect(node['values'], ns);
  }

  /** Follows named references and `{type: {...}}` wrappers down to a concrete type. */
  private deref(node: unknown): JsonObject | string | undefined {
    let current = node;
    for (let guard = 0; guard < 64; guard += 1) {
      if (typeof current === 'string') {
        if (PRIMITIVES.has(current)) return current;
        const found = this.named.get(current);
        if (found === undefined) return undefined;
        current = found;
        continue;
      }
      if (isObject(current)) {
        const type = current['type'];
        if (isObject(type) || Array.isArray(type)) {
          current = type;
          continue;
        }
        if (typeof type === 'string' && !PRIMITIVES.has(type) && !['record', 'error', 'enum', 'fixed', 'array', 'map'].includes(type)) {
          current = type;
          continue;
        }
        return current;
      }
      if (Array.isArray(current)) return undefined;
      return undefined;
    }
    return undefined;
  }

  /** Splits a union into its non-null branches; a non-union is its own single branch. */
  private branches(node: unknown): { branches: (JsonObject | string)[]; nullable: boolean } {
    const raw = isObject(node) && Array.isArray(node['type']) ? node['type'] : node;
    const list = Array.isArray(raw) ? raw : [raw];
    let nullable = false;
    const branches: (JsonObject | string)[] = [];
    for (const item of list) {
      const resolved = this.deref(item);
      if (resolved === undefined) continue;
      if (resolved === 'null' || (isObject(resolved) && resolved['type'] === 'null')) nullable = true;
      else branches.push(resolved);
    }
    return { branches, nullable };
  }

  /**
   * Resolves a path of field names from `start` (the root when omitted). Returns undefined when a
   * segment names no field. Nullability accumulates: a field inside an optional record may be null.
   */
  resolve(path: readonly string[], start: unknown = this.root): ResolvedAvroType | undefined {
    let { branches, nullable } = this.branches(start);
    for (const segment of path) {
      let next: unknown;
      for (const branch of branches) {
        if (!isObject(branch) || !Array.isArray(branch['fields'])) continue;
        const field = branch['fields'].find((f: unknown) => isObject(f) && f['name'] === segment);
        if (field !== undefined) {
          next = (field as JsonObject)['type'];
          break;
        }
      }
      if (next === undefined) return undefined;
      const step = this.branches(next);
      branches = step.branches;
      nullable = nullable || step.nullable;
    }
    const leaf = branches[0];
    if (leaf === undefined) return undefined;
    const typeName = typeof leaf === 'string' ? leaf : String(leaf['type']);
    const logicalType = isObject(leaf) && typeof leaf['logicalType'] === 'string' ? leaf['logicalType'] : undefined;
    const scale =
      logicalType === 'decimal' && isObject(leaf) ? (typeof leaf['scale'] === 'number' ? leaf['scale'] : 0) : undefined;
    return { typeName, logicalType, scale, nullable, node: leaf };
  }
}

/** Looks a schema up in a SchemaSetLike without letting an unknown name throw. */
export function findSchemaJson(schemas: SchemaSetLike, name: string): string | undefined {
  try {
    return schemas.get(name)?.schemaJson;
  } catch {
    return undefined;
  }
}
