export interface Peer {
  clientId: number;
  user: { id: string; name: string; color: string };
  cursor: { x: number; y: number } | null;
  selection: string[];
  readOnly?: boolean;
}

const initials = (name: string) =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((p) => p[0]!.toUpperCase())
    .join('') || '?';

/** Who is on the board right now: one avatar per person (several tabs count once). */
export function BoardPresence({ me, peers }: { me: { id: string; name: string; color: string }; peers: Peer[] }) {
  const people = new Map<string, { name: string; color: string; readOnly?: boolean }>();
  people.set(me.id, { name: `${me.name} (you)`, color: me.color });
  for (const p of peers) if (!people.has(p.user.id)) people.set(p.user.id, { name: p.user.name, color: p.user.color, readOnly: p.readOnly });
  return (
    <ul className="presence" aria-label={`On this board: ${people.size} ${people.size === 1 ? 'person' : 'people'}`}>
      {[...people.entries()].map(([id, p]) => (
        <li key={id} className="avatar" style={{ background: p.color }} title={`${p.name}${p.readOnly ? ' (viewing)' : ''}`}>
          <span aria-hidden="true">{initials(p.name.replace(' (you)', ''))}</span>
          <span className="visually-hidden">
            {p.name}
            {p.readOnly ? ' (viewing)' : ''}
          </span>
        </li>
      ))}
    </ul>
  );
}

const PALETTE = ['#f472b6', '#fb923c', '#facc15', '#4ade80', '#22d3ee', '#60a5fa', '#a78bfa', '#f87171'];
export function colorFor(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length]!;
}
