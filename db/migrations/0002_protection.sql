CREATE TABLE `file_versions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`file_id` integer NOT NULL,
	`first_recovery_point_id` integer NOT NULL,
	`last_recovery_point_id` integer NOT NULL,
	`size` integer NOT NULL,
	`mtime_ms` integer NOT NULL,
	`content_hash` text NOT NULL,
	FOREIGN KEY (`file_id`) REFERENCES `indexed_files`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `file_versions_file_idx` ON `file_versions` (`file_id`,`last_recovery_point_id`);--> statement-breakpoint
CREATE INDEX `file_versions_last_idx` ON `file_versions` (`last_recovery_point_id`);--> statement-breakpoint
CREATE INDEX `file_versions_first_idx` ON `file_versions` (`first_recovery_point_id`);--> statement-breakpoint
CREATE TABLE `indexed_files` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`data_source_id` integer NOT NULL,
	`path` text NOT NULL,
	FOREIGN KEY (`data_source_id`) REFERENCES `data_sources`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `indexed_files_source_path_unique` ON `indexed_files` (`data_source_id`,`path`);--> statement-breakpoint
CREATE TABLE `job_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job_id` integer NOT NULL,
	`at` integer NOT NULL,
	`level` text NOT NULL,
	`message` text NOT NULL,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `job_log_job_idx` ON `job_log` (`job_id`,`id`);--> statement-breakpoint
CREATE TABLE `scheduler_state` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `data_sources` ADD `name` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `data_sources` ADD `present` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `data_sources` ADD `replica_state` text DEFAULT 'creation-pending' NOT NULL;--> statement-breakpoint
ALTER TABLE `data_sources` ADD `replica_state_at` integer;--> statement-breakpoint
ALTER TABLE `data_sources` ADD `replica_manifest` text;--> statement-breakpoint
ALTER TABLE `data_sources` ADD `last_sync_at` integer;--> statement-breakpoint
ALTER TABLE `data_sources` ADD `protected_since` integer;--> statement-breakpoint
ALTER TABLE `protection_groups` ADD `policy` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `protection_groups` ADD `updated_at` integer;--> statement-breakpoint
ALTER TABLE `protection_groups` ADD `request_key` text;--> statement-breakpoint
CREATE UNIQUE INDEX `groups_request_key_unique` ON `protection_groups` (`request_key`);--> statement-breakpoint
ALTER TABLE `recovery_points` ADD `manifest_id` text;--> statement-breakpoint
ALTER TABLE `recovery_points` ADD `files` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `recovery_points` ADD `added_bytes` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `recovery_points` ADD `job_id` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `rp_manifest_unique` ON `recovery_points` (`manifest_id`);--> statement-breakpoint
CREATE INDEX `rp_time_idx` ON `recovery_points` (`created_at`);--> statement-breakpoint
ALTER TABLE `alerts` ADD `key` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `alerts` ADD `detail` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `alerts` ADD `recommended_action` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `alerts` ADD `data_source_id` integer;--> statement-breakpoint
ALTER TABLE `alerts` ADD `group_id` integer;--> statement-breakpoint
ALTER TABLE `alerts` ADD `computer_id` integer;--> statement-breakpoint
ALTER TABLE `alerts` ADD `acknowledged_at` integer;--> statement-breakpoint
ALTER TABLE `alerts` ADD `resolved_by` text;--> statement-breakpoint
ALTER TABLE `alerts` ADD `last_seen_at` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `alerts_active_key_unique` ON `alerts` (`key`) WHERE "alerts"."active" = 1;--> statement-breakpoint
CREATE INDEX `alerts_source_idx` ON `alerts` (`data_source_id`,`active`);--> statement-breakpoint
ALTER TABLE `jobs` ADD `data_source_id` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `group_id` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `agent_id` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `params` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `result` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `trigger` text DEFAULT 'user' NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `requested_by` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `scheduled_for` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `attempt` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `retry_of` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `ended_by` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `files_done` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `bytes_done` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `bytes_total` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `bytes_per_second` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `progress_at` integer;--> statement-breakpoint
CREATE INDEX `jobs_source_idx` ON `jobs` (`data_source_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `jobs_type_idx` ON `jobs` (`type`,`created_at`);--> statement-breakpoint
-- File-name search: an external-content FTS5 table over indexed_files.path with the trigram
-- tokenizer (substring matches, case-insensitive), kept in step by triggers. drizzle-kit does
-- not model virtual tables, so this part is written by hand.
CREATE VIRTUAL TABLE `indexed_files_fts` USING fts5(`path`, content='indexed_files', content_rowid='id', tokenize='trigram');--> statement-breakpoint
CREATE TRIGGER `indexed_files_ai` AFTER INSERT ON `indexed_files` BEGIN INSERT INTO `indexed_files_fts`(rowid, `path`) VALUES (new.id, new.path); END;--> statement-breakpoint
CREATE TRIGGER `indexed_files_ad` AFTER DELETE ON `indexed_files` BEGIN INSERT INTO `indexed_files_fts`(`indexed_files_fts`, rowid, `path`) VALUES ('delete', old.id, old.path); END;--> statement-breakpoint
CREATE TRIGGER `indexed_files_au` AFTER UPDATE ON `indexed_files` BEGIN INSERT INTO `indexed_files_fts`(`indexed_files_fts`, rowid, `path`) VALUES ('delete', old.id, old.path); INSERT INTO `indexed_files_fts`(rowid, `path`) VALUES (new.id, new.path); END;
