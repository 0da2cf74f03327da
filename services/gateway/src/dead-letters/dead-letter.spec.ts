import { headers as natsHeaders } from 'nats';
import { deriveId, headers as vigilHeaders } from '@vigil/contracts';
import { DEAD_LETTER_RECEIVED_AT_HEADER, encodePayload, orgOf, readDeadLetter } from './dead-letter';

const org = '7c0e3c51-3d2f-4a43-9b1c-2f1d3c4b5a60';
const bytes = (s: string) => new TextEncoder().encode(s);

describe('reading a dead letter', () => {
  it('takes identity, origin, reason and deliveries from the runner headers', () => {
    const h = natsHeaders();
    h.set('Nats-Msg-Id', 'ingest-submitted:42');
    h.set(vigilHeaders.deadLetterReason, 'payload is not valid JSON');
    h.set(vigilHeaders.deadLetterStream, 'VIGIL_INGEST');
    h.set(vigilHeaders.deadLetterSubject, `ingest.submitted.${org}`);
    h.set(vigilHeaders.deadLetterDeliveries, '1');
    h.set(DEAD_LETTER_RECEIVED_AT_HEADER, '2026-12-01T10:00:00.000Z');
    const r = readDeadLetter({ subject: 'deadletter.ingest-submitted', data: bytes('{'), headers: h, seq: 7 });
    expect(r).toMatchObject({
      id: deriveId('dead-letter', 'ingest-submitted:42'),
      messageId: 'ingest-submitted:42',
      deadLetterSeq: 7,
      orgId: org,
      consumer: 'ingest-submitted',
      originalSubject: `ingest.submitted.${org}`,
      originalStream: 'VIGIL_INGEST',
      reason: 'payload is not valid JSON',
      deliveries: 1,
    });
    expect(r.originalReceivedAt?.toISOString()).toBe('2026-12-01T10:00:00.000Z');
  });

  it('records a message with no headers at all rather than refusing it', () => {
    const r = readDeadLetter({ subject: 'deadletter.x', data: bytes('x'), seq: 3 });
    expect(r).toMatchObject({ messageId: 'deadletter.x@3', consumer: 'x', orgId: null, originalSubject: null, reason: 'no reason given', deliveries: null, originalReceivedAt: null });
  });

  it('finds the org in the subject, else in the payload, else nowhere', () => {
    const other = '0b8d3c51-3d2f-4a43-9b1c-2f1d3c4b5a61';
    expect(orgOf(`login.failed.${org.toUpperCase()}`, bytes(`{"orgid":"${other}"}`))).toBe(org);
    expect(orgOf('ingest.submitted.not-an-org', bytes(`{"orgid":"${other}"}`))).toBe(other);
    expect(orgOf(null, bytes('{"orgid":"not-a-uuid"}'))).toBeNull();
    expect(orgOf('ingest.submitted.x', bytes('not json'))).toBeNull();
    expect(orgOf('ingest.submitted.x', bytes('null'))).toBeNull();
  });

  it('shows the payload as text when it is UTF-8, else as base64', () => {
    expect(encodePayload(bytes('{"a":"é"}'))).toEqual({ payload: '{"a":"é"}', payloadEncoding: 'utf8' });
    expect(encodePayload(bytes('\uFEFFx'))).toEqual({ payload: '\uFEFFx', payloadEncoding: 'utf8' });
    expect(encodePayload(Uint8Array.from([0xff, 0xfe, 0x00]))).toEqual({ payload: '//4A', payloadEncoding: 'base64' });
  });
});
