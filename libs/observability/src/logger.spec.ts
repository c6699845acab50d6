import { Writable } from 'node:stream';
import { createLogger } from './logger';

/** The JSON lines a logger writes. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'test', destination }) };
}

describe('createLogger redaction', () => {
  it('never writes credentials: auth and cookie headers, CSRF tokens, passwords, tokens', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        req: {
          headers: {
            authorization: 'Bearer gnm_secret',
            cookie: 'gnomon_session=session-secret; gnomon_csrf=csrf-secret',
            'x-csrf-token': 'csrf-secret',
            'user-agent': 'kept',
          },
        },
        res: { headers: { 'set-cookie': ['gnomon_session=session-secret; HttpOnly'] } },
        body: { email: 'kept@example.test', password: 'hunter2hunter2', token: 'link-token' },
        oidc: { idToken: 'eyJ.jwt', id_token: 'eyJ.jwt' },
      },
      'request',
    );
    const text = JSON.stringify(lines);
    for (const secret of [
      'gnm_secret',
      'session-secret',
      'csrf-secret',
      'hunter2',
      'link-token',
      'eyJ',
    ])
      expect(text).not.toContain(secret);
    expect(text).toContain('kept@example.test');
    expect(text).toContain('"user-agent":"kept"');
    expect(lines[0]).toMatchObject({ body: { password: '[redacted]', token: '[redacted]' } });
  });
});
