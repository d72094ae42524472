import { describe, expect, it } from 'vitest';

import {
  initialValues,
  schemaToFields,
  valuesToParameters
} from '../src/paramForm';
import { IJSONSchema } from '../src/tokens';

const schema: IJSONSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', title: 'Name', default: 'world', position: 0 },
    count: { type: 'integer', default: 3, position: 1 },
    ratio: { type: 'number', default: 0.5, position: 2 },
    verbose: { type: 'boolean', default: false, position: 3 },
    mode: { enum: ['fast', 'slow'], default: 'fast', position: 4 },
    items: {
      type: 'array',
      items: { type: 'integer' },
      default: [1, 2],
      position: 5
    },
    limit: {
      anyOf: [{ type: 'integer' }, { type: 'null' }],
      default: null,
      position: 6
    },
    options: { type: 'object', position: 7 }
  },
  required: ['count']
};

describe('schemaToFields', () => {
  it('maps JSON schema types to field kinds in position order', () => {
    const fields = schemaToFields(schema);
    expect(fields.map(f => [f.name, f.kind])).toEqual([
      ['name', 'string'],
      ['count', 'integer'],
      ['ratio', 'number'],
      ['verbose', 'boolean'],
      ['mode', 'enum'],
      ['items', 'json'],
      ['limit', 'integer'],
      ['options', 'json']
    ]);
    const byName = Object.fromEntries(fields.map(f => [f.name, f]));
    expect(byName.count.required).toBe(true);
    expect(byName.name.required).toBe(false);
    expect(byName.name.title).toBe('Name');
    expect(byName.limit.nullable).toBe(true);
    expect(byName.items.jsonType).toBe('array');
    expect(byName.options.jsonType).toBe('object');
    expect(byName.mode.options).toEqual(['fast', 'slow']);
  });

  it('sorts by position even when properties come in another order', () => {
    const fields = schemaToFields({
      properties: {
        b: { type: 'string', position: 1 },
        a: { type: 'string', position: 0 }
      }
    });
    expect(fields.map(f => f.name)).toEqual(['a', 'b']);
  });

  it('infers kinds from defaults when the schema has no type', () => {
    const fields = schemaToFields({
      properties: {
        n: { default: 7 },
        x: { default: 1.5 },
        s: { default: 'a' },
        b: { default: true },
        l: { default: ['a'] },
        none: { default: null }
      }
    });
    expect(fields.map(f => f.kind)).toEqual([
      'integer',
      'number',
      'string',
      'boolean',
      'json',
      'json'
    ]);
    expect(fields[4].jsonType).toBe('array');
    expect(fields[5].nullable).toBe(true);
  });

  it('returns no fields for a missing schema', () => {
    expect(schemaToFields(null)).toEqual([]);
    expect(schemaToFields({ type: 'object' })).toEqual([]);
  });
});

describe('initialValues', () => {
  it('shows defaults as text, overridden by given values', () => {
    const fields = schemaToFields(schema);
    const values = initialValues(fields, { count: 10 });
    expect(values).toEqual({
      name: 'world',
      count: '10',
      ratio: '0.5',
      verbose: false,
      mode: 'fast',
      items: '[1,2]',
      limit: '',
      options: ''
    });
  });
});

describe('valuesToParameters', () => {
  const fields = schemaToFields(schema);

  it('round-trips the defaults to typed values', () => {
    const { parameters, errors } = valuesToParameters(
      fields,
      initialValues(fields)
    );
    expect(errors).toEqual({});
    expect(parameters).toEqual({
      name: 'world',
      count: 3,
      ratio: 0.5,
      verbose: false,
      mode: 'fast',
      items: [1, 2],
      limit: null
    });
  });

  it('converts edited text to the declared types', () => {
    const values = {
      ...initialValues(fields),
      count: ' 42 ',
      ratio: '1e-3',
      verbose: true,
      mode: 'slow',
      items: '[3, 4, 5]',
      limit: '9',
      options: '{"a": {"b": 1}}',
      name: ''
    };
    const { parameters, errors } = valuesToParameters(fields, values);
    expect(errors).toEqual({});
    expect(parameters).toEqual({
      name: '',
      count: 42,
      ratio: 0.001,
      verbose: true,
      mode: 'slow',
      items: [3, 4, 5],
      limit: 9,
      options: { a: { b: 1 } }
    });
  });

  it('reports one error per invalid field', () => {
    const values = {
      ...initialValues(fields),
      count: '3.5',
      ratio: 'abc',
      items: '{"not": "a list"}',
      options: '[1]',
      mode: 'medium'
    };
    const { errors } = valuesToParameters(fields, values);
    expect(Object.keys(errors).sort()).toEqual([
      'count',
      'items',
      'mode',
      'options',
      'ratio'
    ]);
    expect(errors.count).toMatch(/whole number/);
    expect(errors.items).toMatch(/list/);
  });

  it('requires required fields and leaves empty optional ones out', () => {
    const values = { ...initialValues(fields), count: '', ratio: '' };
    const { parameters, errors } = valuesToParameters(fields, values);
    expect(errors).toEqual({ count: 'is required' });
    expect('ratio' in parameters).toBe(false);
  });

  it('rejects malformed JSON', () => {
    const { errors } = valuesToParameters(fields, {
      ...initialValues(fields),
      items: '[1,'
    });
    expect(errors.items).toBe('must be valid JSON');
  });
});
