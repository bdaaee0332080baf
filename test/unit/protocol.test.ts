import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromInspectorSchema, toInspectorSchema } from '../../src/shared/datasetInspectorProtocol';
import { fromSummaryWebviewSchema, toSummaryWebviewSchema } from '../../src/shared/webviews/datasetSummaryProtocol';

describe('shared protocols validate what crosses a boundary', () => {
  it('accepts well-formed inspector requests and refuses others', () => {
    assert.ok(toInspectorSchema.safeParse({ kind: 'inspect', id: 1, path: '/a.csv' }).success);
    assert.ok(toInspectorSchema.safeParse({ kind: 'cancel', id: 1 }).success);
    assert.ok(!toInspectorSchema.safeParse({ kind: 'inspect', id: 1, path: '' }).success);
    assert.ok(!toInspectorSchema.safeParse({ kind: 'inspect', id: '1', path: '/a.csv' }).success);
    assert.ok(!toInspectorSchema.safeParse({ kind: 'delete', id: 1 }).success);
  });

  it('refuses an inspector result with impossible values', () => {
    const info = { format: 'csv', hasHeader: true, encoding: 'utf-8', rows: 2, columns: [], problems: [], sizeBytes: 10 };
    assert.ok(fromInspectorSchema.safeParse({ kind: 'inspected', id: 1, info }).success);
    assert.ok(!fromInspectorSchema.safeParse({ kind: 'inspected', id: 1, info: { ...info, rows: -2 } }).success);
    assert.ok(!fromInspectorSchema.safeParse({ kind: 'inspected', id: 1, info: { ...info, encoding: 'ebcdic' } }).success);
  });

  it('summary panel messages: only the declared shapes pass', () => {
    assert.ok(fromSummaryWebviewSchema.safeParse({ type: 'ready' }).success);
    assert.ok(fromSummaryWebviewSchema.safeParse({ type: 'openFile', line: 3 }).success);
    assert.ok(!fromSummaryWebviewSchema.safeParse({ type: 'openFile', line: 0 }).success);
    assert.ok(!fromSummaryWebviewSchema.safeParse({ type: 'runCommand', command: 'rm -rf' }).success);
    assert.ok(toSummaryWebviewSchema.safeParse({ type: 'state', state: { relativePath: 'a.csv', status: 'pending' } }).success);
    assert.ok(!toSummaryWebviewSchema.safeParse({ type: 'state', state: { relativePath: 'a.csv', status: 'done' } }).success);
  });
});
