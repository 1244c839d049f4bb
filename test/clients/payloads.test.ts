import { describe, expect, it } from 'vitest';
import {
  buildAllowanceExecutionPayload,
  buildPaymentExecutionPayload,
  buildPreparedTransactionExecutionPayload,
} from '../../src/clients/payloads.js';
import { SiglumeValidationError } from '../../src/core/errors.js';

const requirement = () => ({
  requirement_id: 'req_1',
  status: 'pending',
  transaction_request: { to: '0xpay', value: '0', metadata_jsonb: { source: 'siglume', order: 'from-tx' } },
  approve_transaction_request: { to: '0xtoken', data: '0xapprove' },
});

function validationError(fn: () => unknown): SiglumeValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SiglumeValidationError);
    return error as SiglumeValidationError;
  }
  throw new Error('expected a SiglumeValidationError');
}

describe('buildPaymentExecutionPayload', () => {
  it('wraps the transaction request with the payment receipt kind and the requirement reference', () => {
    expect(buildPaymentExecutionPayload(requirement())).toEqual({
      transaction_request: { to: '0xpay', value: '0', metadata_jsonb: { source: 'siglume', order: 'from-tx' } },
      receipt_kind: 'sdrp_direct_payment',
      reference_type: 'sdrp_direct_payment_requirement',
      reference_id: 'req_1',
      metadata: { source: 'siglume', order: 'from-tx' },
      await_finality: false,
    });
  });

  it('overlays options.metadata on the transaction metadata_jsonb', () => {
    const payload = buildPaymentExecutionPayload(requirement(), { metadata: { order: 'o-2', agent: 'a-1' }, await_finality: true });
    expect(payload.metadata).toEqual({ source: 'siglume', order: 'o-2', agent: 'a-1' });
    expect(payload.await_finality).toBe(true);
  });

  it('uses an empty metadata object when the transaction has no metadata_jsonb', () => {
    const req = { requirement_id: 'req_2', transaction_request: { to: '0x' } };
    expect(buildPaymentExecutionPayload(req).metadata).toEqual({});
  });

  it('returns a copy that later changes to the requirement do not reach', () => {
    const req = requirement();
    const payload = buildPaymentExecutionPayload(req);
    req.transaction_request.to = '0xattacker';
    req.transaction_request.metadata_jsonb.order = 'changed';
    expect(payload.transaction_request.to).toBe('0xpay');
    expect(payload.metadata.order).toBe('from-tx');
  });

  describe('when the requirement is incomplete', () => {
    it.each([
      ['requirement_id is missing', { transaction_request: {} }, 'requirement.requirement_id', /is missing/],
      ['requirement_id is not a string', { requirement_id: 5, transaction_request: {} }, 'requirement.requirement_id', /must be a string/],
      ['transaction_request is missing', { requirement_id: 'req_1' }, 'requirement.transaction_request', /is missing/],
      ['transaction_request is null', { requirement_id: 'req_1', transaction_request: null }, 'requirement.transaction_request', /is missing/],
      ['transaction_request is an array', { requirement_id: 'req_1', transaction_request: [] }, 'requirement.transaction_request', /plain JSON object/],
      ['transaction_request holds a function', { requirement_id: 'req_1', transaction_request: { f: () => 1 } }, 'requirement.transaction_request', /JSON-serializable/],
    ])('throws naming the field when %s', (_t, req, field, message) => {
      const error = validationError(() => buildPaymentExecutionPayload(req as never));
      expect(error.field).toBe(field);
      expect(error.message).toContain(`Invalid ${field}`);
      expect(error.message).toMatch(message);
    });

    it('throws when the requirement is not an object', () => {
      expect(validationError(() => buildPaymentExecutionPayload(null as never)).field).toBe('requirement');
    });
  });

  describe('when the options are invalid', () => {
    it.each([
      ['await_finality is a string', { await_finality: 'true' }, /Invalid await_finality: must be true or false/],
      ['metadata holds a Map', { metadata: { at: new Map() } }, /Invalid metadata: must be JSON-serializable/],
      ['metadata is an array', { metadata: [] }, /Invalid metadata: must be a plain JSON object/],
      ['an option is unknown', { awaitFinality: true }, /unknown option "awaitFinality" \(did you mean "await_finality"\?\)/],
    ])('throws when %s', (_t, options, message) => {
      expect(validationError(() => buildPaymentExecutionPayload(requirement(), options as never)).message).toMatch(message);
    });
  });

  describe('when 0.4.20 options carry undefined members or Dates', () => {
    it('copies metadata as a JSON round trip and drops options it does not know', () => {
      const payload = buildPaymentExecutionPayload(requirement(), { metadata: { order_id: 'o-1', coupon: undefined, at: new Date(0) }, note: 'x' } as never);
      expect(payload.metadata).toMatchObject({ order_id: 'o-1', at: '1970-01-01T00:00:00.000Z' });
      expect(payload.metadata).not.toHaveProperty('coupon');
      expect(payload).not.toHaveProperty('note');
    });
  });
});

describe('buildAllowanceExecutionPayload', () => {
  it('wraps the approve transaction request with the allowance receipt kind', () => {
    expect(buildAllowanceExecutionPayload(requirement(), { metadata: { step: 'approve' } })).toEqual({
      transaction_request: { to: '0xtoken', data: '0xapprove' },
      receipt_kind: 'sdrp_direct_payment_allowance',
      reference_type: 'sdrp_direct_payment_requirement',
      reference_id: 'req_1',
      metadata: { step: 'approve' },
      await_finality: false,
    });
  });

  it('throws naming approve_transaction_request when the requirement has none', () => {
    const { approve_transaction_request: _omit, ...req } = requirement();
    const error = validationError(() => buildAllowanceExecutionPayload(req));
    expect(error.field).toBe('requirement.approve_transaction_request');
    expect(error.message).toMatch(/^Invalid requirement\.approve_transaction_request: is missing/);
  });
});

describe('buildPreparedTransactionExecutionPayload', () => {
  it('defaults to the payment transaction and receipt kind', () => {
    expect(buildPreparedTransactionExecutionPayload(requirement())).toEqual(buildPaymentExecutionPayload(requirement()));
  });

  it('builds from the chosen field with the given receipt kind', () => {
    const payload = buildPreparedTransactionExecutionPayload(requirement(), {
      transaction_request_field: 'approve_transaction_request',
      receipt_kind: 'custom_kind',
      await_finality: true,
    });
    expect(payload).toMatchObject({
      transaction_request: { to: '0xtoken' },
      receipt_kind: 'custom_kind',
      reference_id: 'req_1',
      await_finality: true,
    });
  });

  it('rejects an unknown transaction field and an empty receipt kind', () => {
    expect(
      validationError(() =>
        buildPreparedTransactionExecutionPayload(requirement(), { transaction_request_field: 'tx' as never }),
      ).field,
    ).toBe('transaction_request_field');
    expect(validationError(() => buildPreparedTransactionExecutionPayload(requirement(), { receipt_kind: '' })).field).toBe(
      'receipt_kind',
    );
  });
});

describe('buildPreparedTransactionExecutionPayload with the 0.4.20 argument list', () => {
  it('takes (requirement, transaction_request, { receipt_kind, ... }) and builds what the own list builds', () => {
    const r = requirement();
    const legacy = buildPreparedTransactionExecutionPayload(r, r.transaction_request, { receipt_kind: 'sdrp_direct_payment', await_finality: true, metadata: { order: 'o-9' } });
    expect(legacy).toEqual(buildPaymentExecutionPayload(r, { await_finality: true, metadata: { order: 'o-9' } }));
  });

  it('names transaction_request when it is not an object', () => {
    expect(() => buildPreparedTransactionExecutionPayload(requirement(), 'tx' as never, { receipt_kind: 'sdrp_direct_payment' })).toThrow(
      /transaction_request/,
    );
  });
});
