// Values a resource keeps in Secrets (`<field>From: {secretKeyRef: {name, key}}`), put into the document the
// operator writes, so the document is the one the CLI would store with the value written out.
export class SecretReferenceError extends Error {
  override name = 'SecretReferenceError';
}

/** The data of a Secret in the resource's namespace, decoded; undefined when there is no such Secret. */
export type SecretReader = (name: string) => Promise<Record<string, string> | undefined>;

interface SecretKeyRef {
  secretKeyRef: { name: string; key: string };
}

type Node = Record<string, unknown>;

const isObject = (value: unknown): value is Node =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The objects at `path` (`*`: every value of a map), each with where it is. */
function parentsAt(document: Node, path: string[]): { node: Node; where: string }[] {
  let found: { node: Node; where: string }[] = [{ node: document, where: '' }];
  for (const step of path) {
    found = found.flatMap(({ node, where }) => {
      const entries = step === '*' ? Object.entries(node) : [[step, node[step]] as const];
      return entries
        .filter((entry): entry is [string, Node] => isObject(entry[1]))
        .map(([name, child]) => ({ node: child, where: where ? `${where}.${name}` : name }));
    });
  }
  return found;
}

/** A copy of `document` with every referenced value read from its Secret. */
export async function resolveSecretReferences(
  document: Node,
  fields: string[][],
  readSecret: SecretReader,
): Promise<Node> {
  // a JSON copy: the document is JSON, and compares equal to the one read back from the bucket
  const resolved = JSON.parse(JSON.stringify(document)) as Node;
  for (const path of fields) {
    const field = path.at(-1)!;
    for (const { node, where } of parentsAt(resolved, path.slice(0, -1))) {
      const reference = node[`${field}From`] as SecretKeyRef | undefined;
      if (!reference) continue;
      const { name, key } = reference.secretKeyRef;
      const at = `${where}.${field}From`;
      const data = await readSecret(name).catch((error: unknown) => {
        if ((error as { code?: unknown }).code === 403)
          throw new SecretReferenceError(
            `${at}: the operator may not read Secret ${name} (operator.secretNames)`,
          );
        throw error;
      });
      if (!data) throw new SecretReferenceError(`${at}: Secret ${name} does not exist`);
      if (data[key] === undefined) throw new SecretReferenceError(`${at}: Secret ${name} has no key ${key}`);
      node[field] = data[key];
      delete node[`${field}From`];
    }
  }
  return resolved;
}
