/** Menu entries as terminals draw them on their screens. */

export interface MenuEntry {
  keys: string[];
  text: string;
}

// An entry starts with its key (1..99 or F1..F4), optionally bracketed, optionally followed by
// '.', '、', ':', ')' and then the label, which must not start with a digit ("金额: 12.34" is no menu).
const ENTRY_START = /(?:^|\s)\[?(\d{1,2}|F[1-4])\]?\s*[.、:：)\]]?\s*(?=[^\s\d.,:：])/g;

/** Every menu entry on the screen, in reading order. */
export function menuEntries(lines: string[]): MenuEntry[] {
  const out: MenuEntry[] = [];
  for (const line of lines) {
    const starts: Array<{ key: string; textFrom: number; from: number }> = [];
    ENTRY_START.lastIndex = 0;
    for (let m = ENTRY_START.exec(line); m; m = ENTRY_START.exec(line)) {
      starts.push({ key: m[1], from: m.index, textFrom: m.index + m[0].length });
      if (m[0].length === 0) ENTRY_START.lastIndex++;
    }
    starts.forEach((s, i) => {
      const text = line.slice(s.textFrom, i + 1 < starts.length ? starts[i + 1].from : line.length).trim();
      if (text) out.push({ keys: /^F/.test(s.key) ? [s.key] : s.key.split(''), text });
    });
  }
  return out;
}

/**
 * Finds "3.缴费", "3 缴费", "3、缴费", "[3] 缴费", "F1 管理" (two entries per line are common on
 * 16-column screens). Matches the label case-insensitively, exactly or as the entry's first words.
 */
export function findMenuEntry(lines: string[], label: string): MenuEntry | undefined {
  const want = label.trim().toUpperCase();
  return menuEntries(lines).find((e) => {
    const text = e.text.toUpperCase();
    return text === want || text.startsWith(want + ' ');
  });
}
