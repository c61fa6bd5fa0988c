/** An external mode as declared on the command line: `--external NAME=COMMAND` (docs/EXTERNAL.md). */
export interface ExternalSpec {
  name: string;
  command: string;
}

/** Names the harness uses for its own modes, roles and reference. */
const RESERVED = new Set(['stream', 'batch', 'ingest', 'ground_truth', 'input', 'generator', 'broker', 'database']);
const NAME = /^[a-z][a-z0-9_]{0,31}$/;

function parseExternalSpec(text: string): ExternalSpec {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new Error(`--external must be NAME=COMMAND (got ${JSON.stringify(text)})`);
  const name = text.slice(0, eq).trim();
  const command = text.slice(eq + 1).trim();
  if (!NAME.test(name))
    throw new Error(
      `--external: the name ${JSON.stringify(name)} must be lower-case letters, digits and _, starting with a letter, at most 32 characters`,
    );
  if (RESERVED.has(name)) throw new Error(`--external: ${name} is a name the harness uses itself; choose another`);
  if (!command) throw new Error(`--external ${name}: the command is empty`);
  return { name, command };
}

/** Each spec once by name; a name declared twice is an error. */
export function parseExternalSpecs(texts: readonly string[]): ExternalSpec[] {
  const out: ExternalSpec[] = [];
  for (const t of texts) {
    const spec = parseExternalSpec(t);
    if (out.some((s) => s.name === spec.name)) throw new Error(`--external: ${spec.name} is declared twice`);
    out.push(spec);
  }
  return out;
}
