import { type Kysely, sql } from 'kysely';

/**
 * Library search that uses an index at any size.
 *
 * The library searched `to_tsvector(coalesce(generation.prompt, ''))` across a join, OR-ed with an
 * ILIKE on upload names: no index could serve it, so every search read the whole workspace. Now each
 * asset carries its own search document (`asset.search`: the prompt, stemmed English, and the upload
 * name, split into plain words) and the seed it was made with (`asset.seed`: generation seed + output
 * index), both kept by triggers: on insert, and whenever a generation's prompt changes (a correction,
 * or erasure, must not leave the old words searchable). GIN on `search`, btree on
 * `(workspace_id, seed)`; the query is a BitmapOr of the two on one table.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table asset add column search tsvector, add column seed bigint`.execute(db);
  await sql`
    create function fk_asset_search(prompt text, original_name text) returns tsvector
    language sql immutable parallel safe as $$
      select to_tsvector('english', coalesce(prompt, '')) || to_tsvector('simple', coalesce(original_name, ''))
    $$`.execute(db);
  await sql`
    create function fk_asset_search_row() returns trigger language plpgsql as $$
    declare p text; s jsonb;
    begin
      if new.generation_id is not null then
        select prompt, params->'seed' into p, s from generation where id = new.generation_id;
      end if;
      new.search := fk_asset_search(p, new.original_name);
      new.seed := case when jsonb_typeof(s) = 'number' then floor((s #>> '{}')::numeric)::bigint + coalesce(new.output_index, 0) end;
      return new;
    end $$`.execute(db);
  await sql`
    create trigger asset_search before insert or update of original_name, generation_id, output_index on asset
    for each row execute function fk_asset_search_row()`.execute(db);
  await sql`
    create function fk_generation_prompt_changed() returns trigger language plpgsql as $$
    begin
      update asset set search = fk_asset_search(new.prompt, asset.original_name) where generation_id = new.id;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger generation_prompt_search after update of prompt on generation
    for each row when (old.prompt is distinct from new.prompt) execute function fk_generation_prompt_changed()`.execute(db);
  // Existing rows: the trigger fills them.
  await sql`update asset set original_name = original_name`.execute(db);
  await sql`create index asset_search_idx on asset using gin (search)`.execute(db);
  await sql`create index asset_workspace_seed_idx on asset (workspace_id, seed) where seed is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists generation_prompt_search on generation`.execute(db);
  await sql`drop function if exists fk_generation_prompt_changed()`.execute(db);
  await sql`drop trigger if exists asset_search on asset`.execute(db);
  await sql`drop function if exists fk_asset_search_row()`.execute(db);
  await sql`alter table asset drop column if exists search, drop column if exists seed`.execute(db);
  await sql`drop function if exists fk_asset_search(text, text)`.execute(db);
}
