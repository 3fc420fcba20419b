import { sql, type Kysely } from 'kysely';

/**
 * One record of an account's standing (ADR 0022). Until now moderation's automatic suspension
 * (repeated refused prompts) lived in `moderation_suspension` and the operators' suspensions and
 * bans in `account_standing`: two answers to "may this person generate?". From here on:
 *
 * - `account_standing` is the only record. It gains `until` (null: until an operator lifts it; set:
 *   it ends by itself, as automatic suspensions do) and `source` ('operator' or 'moderation').
 * - `active_standing` is the view every reader uses: the rows whose `until` has not passed. A
 *   suspension that ran out is then good standing everywhere at the same instant, without a sweep.
 * - the banned-session trigger reads the view too (bans have no `until`, so it changes nothing today).
 * - active automatic suspensions move over (an operator's own decision on the same account wins:
 *   it is at least as strong, having no end); their appeals become account appeals in `appeal`;
 *   appeals of suspensions that already ended are kept as answered (`granted` when an operator lifted
 *   it, `ended` when it ran out first), so nobody's words are lost.
 * - `moderation_suspension` is dropped. The audit log keeps the history of every suspension.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table account_standing
    add column until timestamptz,
    add column source text not null default 'operator' check (source in ('operator', 'moderation')),
    add constraint account_standing_ban_has_no_end check (status <> 'banned' or until is null)`.execute(db);
  await sql`create view active_standing as
    select user_id, status, reason, note, decided_by, since, until, source from account_standing
    where until is null or until > now()`.execute(db);

  await sql`alter table appeal drop constraint appeal_status_check`.execute(db);
  await sql`alter table appeal add constraint appeal_status_check check (status in ('open', 'granted', 'refused', 'ended'))`.execute(db);

  // Active automatic suspensions (the latest per person), unless an operator already decided.
  await sql`
    insert into account_standing (user_id, status, reason, note, decided_by, since, until, source)
    select distinct on (user_id) user_id, 'suspended', 'refused_prompts', reason, null, created_at, until, 'moderation'
    from moderation_suspension
    where lifted_at is null and until > now()
    order by user_id, until desc
    on conflict (user_id) do nothing`.execute(db);
  // Their appeals: open while the suspension is, one per person (the unique index allows one open).
  await sql`
    insert into appeal (user_id, asset_id, message, status, answer, answered_by, answered_at, created_at)
    select distinct on (s.user_id) s.user_id, null, s.appeal, 'open', null, null, null, s.appealed_at
    from moderation_suspension s
    where s.appeal is not null and s.lifted_at is null and s.until > now()
      and not exists (select 1 from appeal a where a.user_id = s.user_id and a.asset_id is null and a.status = 'open')
    order by s.user_id, s.until desc`.execute(db);
  // Appeals of suspensions that ended: lifted by an operator (granted) or ran out (ended).
  await sql`
    insert into appeal (user_id, asset_id, message, status, answer, answered_by, answered_at, created_at)
    select s.user_id, null, s.appeal, case when s.lifted_at is not null then 'granted' else 'ended' end, null, s.lifted_by, coalesce(s.lifted_at, s.until), s.appealed_at
    from moderation_suspension s
    where s.appeal is not null and (s.lifted_at is not null or s.until <= now())`.execute(db);

  await sql`
    create or replace function fk_refuse_banned_session() returns trigger language plpgsql as $$
    begin
      if exists (select 1 from active_standing where user_id = new."userId" and status = 'banned') then
        raise exception 'account is banned' using errcode = 'P0001';
      end if;
      return new;
    end $$`.execute(db);

  await db.schema.dropTable('moderation_suspension').execute();
}
