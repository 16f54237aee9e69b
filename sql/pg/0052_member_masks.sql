-- 0052_member_masks: the masked forms of a member's ID number and mobile, stored at
-- write time (as users.mobile_masked is) so that a list page, a masked export and the
-- roster read them instead of opening two AEAD ciphertexts per row (issue 10 point 6).
-- id_masked: the first 6 and last 4 characters of the ID number, 8 '*' between
-- (idcard_mask); mobile_masked: the first 3 and last 4 digits, 4 '*' between
-- (mobile_mask), NULL without a mobile. Neither holds a full number (SECURITY.md S4).
-- PostgreSQL form of sql/sqlite/0052_member_masks.sql (the same statements).
--
-- A migration can not decrypt: rows written before this one keep NULL here until
-- member_fill_masks (src/model/member.c) fills them, once, when the server or a
-- `dangjian` command next opens the database after migrating (cli_open_db).
ALTER TABLE members ADD COLUMN id_masked TEXT;
ALTER TABLE members ADD COLUMN mobile_masked TEXT;
-- an import's staged rows (0051) carry them too, and move them into members
ALTER TABLE import_stage ADD COLUMN id_masked TEXT;
ALTER TABLE import_stage ADD COLUMN mobile_masked TEXT;

-- The rows still to fill, and only those: every write fills id_masked, so after the
-- fill this index is empty and the check at each start reads one page, not the table.
CREATE INDEX members_unmasked ON members (id) WHERE id_masked IS NULL;
