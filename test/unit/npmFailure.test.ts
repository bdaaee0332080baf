import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeNpmFailure } from '../../src/extension/backend/npmFailure';

describe("a failed native backend install's message", () => {
  it("says an offline install needs internet, not npm's last line", () => {
    const offline =
      'npm notice\nnpm error code ENOTFOUND\nnpm error network request to ... failed, reason: getaddrinfo ENOTFOUND\nnpm error A complete log of this run can be found in: /x.log\n';
    assert.match(describeNpmFailure('@tensorflow/tfjs-node', 1, offline), /needs internet access.*could not connect/);
  });

  it("keeps npm's telling lines and drops its noise", () => {
    const out =
      'npm notice\nnpm error code 1\nnpm error gyp: No Xcode or CLT version detected!\nnpm error A complete log of this run can be found in: /x.log\n';
    const message = describeNpmFailure('@tensorflow/tfjs-node', 1, out);
    assert.match(message, /failed: code 1 gyp: No Xcode or CLT version detected!\./);
    assert.doesNotMatch(message, /complete log|npm notice/);
    assert.match(describeNpmFailure('p', 7, 'npm notice\n'), /failed: npm exit code 7\./);
  });
});
