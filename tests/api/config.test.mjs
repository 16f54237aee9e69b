// config.test.mjs: the server refuses, at start, an option it does not know or a value
// outside the option's bounds or allowed values, with one line naming the option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, removeDir } from './lib/server.mjs';

function refused(args, env, pattern) {
  const dir = mkdtempSync(join(tmpdir(), 'dj-config-'));
  try {
    const r = cli(dir, args, { env });
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], pattern);
  } finally { removeDir(dir); }
}

test('serve stops at start with one line naming an unknown or out-of-range option', () => {
  refused(['serve', '--port', '0', '--no-such-option', '1'], {}, /^dangjian: unknown option --no-such-option$/);
  refused(['serve', '--port', '70000'], {}, /^dangjian: bad value for --port: "70000" is out of range \(0\.\.65535\)$/);
  refused(['serve', '--port', '0', '--log-level', 'loud'], {}, /--log_level: "loud" is not one of the allowed values \(debug, info, warn, error\)/);
  refused(['serve', '--port', '0'], { DANGJIAN_BODY_INFLIGHT_TOTAL: '1' }, /^dangjian: bad value for DANGJIAN_BODY_INFLIGHT_TOTAL: "1" is out of range/);
  refused(['serve', '--port', '0'], { DANGJIAN_PROT: '9000' }, /^dangjian: unknown option DANGJIAN_PROT/);
});
