// Every value of the chart is documented: each setting has a `# --` comment on itself or on a key above it
// (a block such as `resources` is documented as a whole).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMap, parseDocument, type YAMLMap } from 'yaml';

const VALUES = fileURLToPath(new URL('../../charts/vigil/values.yaml', import.meta.url));

const DOC_COMMENT = /(^|\n)\s*-- \S/;

function undocumented(map: YAMLMap, path: string[], documented: boolean): string[] {
  return map.items.flatMap((pair, index) => {
    const key = pair.key as { value: unknown; commentBefore?: string | null };
    // the yaml parser attaches the comment above a map's first key to the map itself
    const comment = `${key.commentBefore ?? ''}\n${index === 0 ? (map.commentBefore ?? '') : ''}`;
    const here = documented || DOC_COMMENT.test(comment);
    const keyPath = [...path, String(key.value)];
    if (isMap(pair.value) && !pair.value.flow && pair.value.items.length > 0) {
      return undocumented(pair.value, keyPath, here);
    }
    return here ? [] : [keyPath.join('.')];
  });
}

describe('charts/vigil/values.yaml', () => {
  it('documents every value', () => {
    const document = parseDocument(readFileSync(VALUES, 'utf8'));
    expect(document.errors).toEqual([]);
    expect(undocumented(document.contents as YAMLMap, [], false)).toEqual([]);
  });
});
