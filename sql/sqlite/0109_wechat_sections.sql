-- 0109_wechat_sections: the 公众号's sections (版块) and their items (项) as data (issue
-- 16): the account's menu is built from them and pushed to WeChat (/cgi-bin/menu/create;
-- at most 3 sections of at most 5 items, WeChat's menu limits). An item opens one of
-- our phone pages (kind page, target "/m/…"), a study issue (kind study, target its id)
-- or an address (kind url, target https://…). A section belongs to an organization
-- (the account's: the district's 组织部), whose subtree's figures count it. Each push
-- is recorded with WeChat's answer.
CREATE TABLE wechat_sections (
  id          INTEGER PRIMARY KEY,
  org_id      INTEGER NOT NULL REFERENCES orgs(id),
  org_path    TEXT NOT NULL,
  name        TEXT NOT NULL,
  position    INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX wechat_sections_path ON wechat_sections (org_path, position, id);

CREATE TABLE wechat_items (
  id          INTEGER PRIMARY KEY,
  section_id  INTEGER NOT NULL REFERENCES wechat_sections(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('page', 'study', 'url')),
  target      TEXT NOT NULL,
  position    INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX wechat_items_section ON wechat_items (section_id, position, id);

CREATE TABLE wechat_menu_pushes (
  id          INTEGER PRIMARY KEY,
  org_id      INTEGER NOT NULL,
  pushed_at   INTEGER NOT NULL,
  user_id     INTEGER,
  outcome     TEXT NOT NULL CHECK (outcome IN ('ok', 'failed')),
  errcode     TEXT,
  error       TEXT
);
CREATE INDEX wechat_menu_pushes_org ON wechat_menu_pushes (org_id, id);
