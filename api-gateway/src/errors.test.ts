import { expect } from 'chai';
import { ApiError, FAULT_NAMES, faultBody, faultName, unexpectedErrorMessage } from './errors.ts';

describe('errors (Nova Fault bodies)', () => {
  it('uses the fault names of wsgi.Fault._fault_names for each code', () => {
    expect(FAULT_NAMES).to.deep.equal({
      400: 'badRequest',
      401: 'unauthorized',
      403: 'forbidden',
      404: 'itemNotFound',
      405: 'badMethod',
      409: 'conflictingRequest',
      413: 'overLimit',
      415: 'badMediaType',
      429: 'overLimit',
      501: 'notImplemented',
      503: 'serviceUnavailable',
    });
  });

  it('names every unlisted code (406, 410, 500) computeFault', () => {
    for (const code of [406, 410, 500, 502]) expect(faultName(code)).to.equal('computeFault');
  });

  it('builds {"<faultName>": {"code", "message"}}', () => {
    expect(faultBody(404, 'Instance x could not be found.')).to.deep.equal({
      itemNotFound: { code: 404, message: 'Instance x could not be found.' },
    });
  });

  it('adds retryAfter only for 413 and 429', () => {
    expect(faultBody(413, 'm', '30')).to.deep.equal({
      overLimit: { code: 413, message: 'm', retryAfter: '30' },
    });
    expect(faultBody(429, 'm', '5')).to.deep.equal({
      overLimit: { code: 429, message: 'm', retryAfter: '5' },
    });
    expect(faultBody(403, 'm', '30')).to.deep.equal({ forbidden: { code: 403, message: 'm' } });
  });

  it('ApiError carries code, message, headers and its fault body', () => {
    const e = new ApiError(409, 'Cannot reboot while locked', { 'Retry-After': '1' });
    expect(e).to.be.instanceOf(Error);
    expect(e.code).to.equal(409);
    expect(e.body()).to.deep.equal({
      conflictingRequest: { code: 409, message: 'Cannot reboot while locked' },
    });
    expect(new ApiError(429, 'slow down', { 'Retry-After': '7' }).body()).to.deep.equal({
      overLimit: { code: 429, message: 'slow down', retryAfter: '7' },
    });
  });

  it('words unexpected errors like Nova, naming the exception class', () => {
    expect(unexpectedErrorMessage(new TypeError('x'))).to.equal(
      'Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ ' +
        "and attach the Nova API log if possible.\n<class 'TypeError'>",
    );
  });
});
