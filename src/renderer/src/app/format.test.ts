import { describe, expect, it } from 'vitest';
import { formatBytes, formatOffset } from './format';

describe('formatOffset', () => {
  it('shows minutes and seconds', () => expect(formatOffset(312.4)).toBe('5:12'));
  it('shows hours past the hour', () => expect(formatOffset(3723)).toBe('1:02:03'));
  it('clamps negatives to zero', () => expect(formatOffset(-3)).toBe('0:00'));
});

describe('formatBytes', () => {
  it('uses B, KB and MB', () => {
    expect(formatBytes(227)).toBe('227 B');
    expect(formatBytes(2560)).toBe('2.5 KB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MB');
  });
});
