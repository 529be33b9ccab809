// Rule-set documents as files: YAML (or JSON) on disk, checked against the document schema on load.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Documents, type Reason, type RuleSet } from '@vigil/contracts';
import { parse } from 'yaml';

/** The rule set the validator applies as version 1 when the bucket holds none. */
export const DEFAULT_RULE_SET_FILE = fileURLToPath(new URL('../../rules/default.yaml', import.meta.url));

export class DocumentFileError extends Error {
  constructor(
    readonly file: string,
    readonly reasons: string[],
  ) {
    super(`${file}: ${reasons.join('; ')}`);
    this.name = 'DocumentFileError';
  }
}

/** Parses a YAML or JSON file; a syntax error names the line. */
export async function readYamlFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new DocumentFileError(file, [`cannot read: ${(error as Error).message}`]);
  }
  try {
    return parse(text, { prettyErrors: true, uniqueKeys: true }) as unknown;
  } catch (error) {
    throw new DocumentFileError(file, [`not valid YAML: ${(error as Error).message.split('\n')[0]}`]);
  }
}

export const reasonTexts = (reasons: Reason[]): string[] => reasons.map((r) => r.message);

export async function readRuleSetFile(file: string): Promise<RuleSet> {
  const document = await readYamlFile(file);
  if (!Documents.validationRuleSet.validate(document))
    throw new DocumentFileError(file, reasonTexts(Documents.validationRuleSet.validate.reasons()));
  return document;
}
