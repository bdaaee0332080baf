/**
 * Schema issues (zod) told as sentences a person can act on: which setting, what it must be,
 * what it was. zod/mini says only "Invalid input"; this reads the issue's code and bounds.
 * `nameOf` says how the reader knows the setting (`--batch-size` in the CLI, `batchSize` in a file).
 */
interface Issue {
  code: string;
  path: PropertyKey[];
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  expected?: string;
  values?: unknown[];
  errors?: Issue[][];
}

const show = (v: unknown) => (typeof v === 'string' ? `"${v}"` : v === undefined ? 'nothing' : JSON.stringify(v));

export function describeIssue(issue: Issue, value: unknown): string {
  switch (issue.code) {
    case 'too_big':
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}, not ${show(value)}`;
    case 'too_small':
      if (issue.minimum === 0 && !issue.inclusive) return `must be more than 0, not ${show(value)}`;
      return `must be ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}, not ${show(value)}`;
    case 'invalid_type':
      if (value === undefined) return 'is required';
      return issue.expected === 'int' ? `must be a whole number, not ${show(value)}` : `must be a ${issue.expected}, not ${show(value)}`;
    case 'invalid_value':
      return `must be one of ${(issue.values ?? []).map(show).join(', ')}, not ${show(value)}`;
    case 'invalid_union': {
      const options = (issue.errors ?? [])
        .flat()
        .map(e => (e.code === 'invalid_value' ? (e.values ?? []).map(show).join(', ') : e.expected === 'array' ? 'a list of numbers' : e.expected))
        .filter(Boolean);
      return `must be ${options.join(' or ')}, not ${show(value)}`;
    }
    default:
      return `is not valid (${show(value)})`;
  }
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let v = raw;
  for (const k of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

export function describeIssues(issues: readonly Issue[], raw: unknown, nameOf: (field: string) => string = f => f): string {
  return issues
    .map(i => {
      const [field, ...rest] = i.path.map(String);
      const name = field === undefined ? 'the settings' : nameOf(field) + (rest.length ? `[${rest.join('.')}]` : '');
      return `${name} ${describeIssue(i, valueAt(raw, i.path))}`;
    })
    .join('; ');
}
