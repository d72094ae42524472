/**
 * Parameter forms generated from a JSON schema (a deployment's
 * `parameter_openapi_schema` or a notebook's `parameters` cell), and the
 * conversion of the entered text back to typed parameter values.
 *
 * Pure functions, so they are unit-tested without a browser.
 */
import { IJSONSchema } from './tokens';

export type FieldKind =
  'string' | 'integer' | 'number' | 'boolean' | 'enum' | 'json';

export interface IField {
  name: string;
  title: string;
  kind: FieldKind;
  required: boolean;
  /** `null` is an accepted value (Optional[...] / anyOf with null). */
  nullable: boolean;
  description?: string;
  default?: unknown;
  /** Allowed values of an `enum` field. */
  options?: unknown[];
  /** For `json` fields: the expected container, checked on conversion. */
  jsonType?: 'array' | 'object';
}

/** What an input holds: text for most fields, a flag for checkboxes. */
export type FormValue = string | boolean;
export type FormValues = Record<string, FormValue>;

/** Read the concrete type(s) of a schema, unwrapping `anyOf: [X, null]`. */
function typesOf(schema: IJSONSchema): { types: string[]; nullable: boolean } {
  let types: string[] = [];
  if (Array.isArray(schema.type)) {
    types = [...schema.type];
  } else if (schema.type) {
    types = [schema.type];
  } else if (schema.anyOf) {
    for (const option of schema.anyOf) {
      types.push(...typesOf(option).types);
    }
  }
  const nullable = types.includes('null');
  return { types: types.filter(t => t !== 'null'), nullable };
}

function fieldFor(
  name: string,
  schema: IJSONSchema,
  required: boolean
): IField {
  const { types, nullable } = typesOf(schema);
  const enumOptions =
    schema.enum ?? schema.anyOf?.find(option => option.enum)?.enum;
  let kind: FieldKind = 'json';
  let jsonType: IField['jsonType'];
  if (enumOptions && enumOptions.length) {
    kind = 'enum';
  } else if (types.length === 1) {
    const t = types[0];
    if (
      t === 'string' ||
      t === 'integer' ||
      t === 'number' ||
      t === 'boolean'
    ) {
      kind = t;
    } else if (t === 'array' || t === 'object') {
      jsonType = t;
    }
  } else if (types.length === 0 && schema.default !== undefined) {
    // No declared type (e.g. a notebook parameter): infer it from the default.
    kind = kindOfValue(schema.default);
    if (kind === 'json') {
      jsonType = Array.isArray(schema.default)
        ? 'array'
        : schema.default && typeof schema.default === 'object'
          ? 'object'
          : undefined;
    }
  }
  return {
    name,
    title: schema.title ?? name,
    kind,
    required,
    nullable: nullable || schema.default === null,
    description: schema.description,
    default: schema.default,
    options: kind === 'enum' ? enumOptions!.filter(v => v !== null) : undefined,
    jsonType
  };
}

function kindOfValue(value: unknown): FieldKind {
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isInteger(value) ? 'integer' : 'number';
    default:
      return 'json';
  }
}

/** The form fields of an object schema, in `position` order when given. */
export function schemaToFields(
  schema: IJSONSchema | null | undefined
): IField[] {
  const properties = schema?.properties ?? {};
  const required = new Set(schema?.required ?? []);
  const names = Object.keys(properties);
  const order = (n: string) => properties[n].position ?? names.indexOf(n);
  return names
    .sort((a, b) => order(a) - order(b))
    .map(name => fieldFor(name, properties[name], required.has(name)));
}

/** How a value is shown in a field's input. */
export function formatValue(field: IField, value: unknown): FormValue {
  if (field.kind === 'boolean') {
    return value === true;
  }
  if (value === undefined || value === null) {
    return '';
  }
  if (field.kind === 'json' || field.kind === 'enum') {
    return field.kind === 'enum' && typeof value === 'string'
      ? value
      : JSON.stringify(value);
  }
  return String(value);
}

/**
 * Initial input values: `values` (e.g. the deployment's parameters) win over
 * the schema defaults.
 */
export function initialValues(
  fields: IField[],
  values: Record<string, unknown> = {}
): FormValues {
  const result: FormValues = {};
  for (const field of fields) {
    const value = field.name in values ? values[field.name] : field.default;
    result[field.name] = formatValue(field, value);
  }
  return result;
}

/** Decode an enum input back to the option it shows. */
function enumValue(field: IField, text: string): unknown {
  for (const option of field.options ?? []) {
    if (
      (typeof option === 'string' ? option : JSON.stringify(option)) === text
    ) {
      return option;
    }
  }
  return undefined;
}

export interface IConversion {
  parameters: Record<string, unknown>;
  /** Field name → why its value is invalid; empty when all are valid. */
  errors: Record<string, string>;
}

/**
 * Convert the form's text back to typed parameters.
 *
 * An empty optional field is left out (the server's default applies), or
 * sent as `null` when the field accepts null.
 */
export function valuesToParameters(
  fields: IField[],
  values: FormValues
): IConversion {
  const parameters: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const raw = values[field.name];
    if (field.kind === 'boolean') {
      parameters[field.name] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text === '' && field.kind !== 'string') {
      if (field.nullable) {
        parameters[field.name] = null;
      } else if (field.required) {
        errors[field.name] = 'is required';
      }
      continue;
    }
    switch (field.kind) {
      case 'string':
        if (raw === '' && field.nullable) {
          parameters[field.name] = null;
        } else if (
          raw === '' &&
          field.required &&
          field.default === undefined
        ) {
          errors[field.name] = 'is required';
        } else {
          parameters[field.name] = raw ?? '';
        }
        break;
      case 'integer':
        if (/^[-+]?\d+$/.test(text)) {
          parameters[field.name] = parseInt(text, 10);
        } else {
          errors[field.name] = 'must be a whole number';
        }
        break;
      case 'number': {
        const n = Number(text);
        if (Number.isFinite(n)) {
          parameters[field.name] = n;
        } else {
          errors[field.name] = 'must be a number';
        }
        break;
      }
      case 'enum': {
        const value = enumValue(field, text);
        if (value === undefined) {
          errors[field.name] = 'must be one of the listed values';
        } else {
          parameters[field.name] = value;
        }
        break;
      }
      case 'json': {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          errors[field.name] = 'must be valid JSON';
          break;
        }
        if (field.jsonType === 'array' && !Array.isArray(value)) {
          errors[field.name] = 'must be a JSON list, e.g. [1, 2]';
        } else if (
          field.jsonType === 'object' &&
          (value === null || typeof value !== 'object' || Array.isArray(value))
        ) {
          errors[field.name] = 'must be a JSON object, e.g. {"a": 1}';
        } else {
          parameters[field.name] = value;
        }
        break;
      }
    }
  }
  return { parameters, errors };
}
