CREATE TABLE `catalog_snapshots` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`server_id` text NOT NULL,
	`manifest_id` text NOT NULL,
	`taken_at` integer NOT NULL,
	`copied_at` integer,
	`size_bytes` integer NOT NULL,
	`sha256` text NOT NULL,
	`signature` text NOT NULL,
	`key_id` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `catalog_snapshots_manifest_unique` ON `catalog_snapshots` (`manifest_id`);--> statement-breakpoint
CREATE INDEX `catalog_snapshots_server_idx` ON `catalog_snapshots` (`server_id`,`taken_at`);--> statement-breakpoint
ALTER TABLE `server_links` ADD `catalog_every_minutes` integer;--> statement-breakpoint
ALTER TABLE `server_links` ADD `replica_every_minutes` integer;--> statement-breakpoint
ALTER TABLE `server_links` ADD `catalog_retention_days` integer DEFAULT 14 NOT NULL;--> statement-breakpoint
ALTER TABLE `server_links` ADD `auto_switch` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `server_links` ADD `grace_minutes` integer DEFAULT 15 NOT NULL;--> statement-breakpoint
ALTER TABLE `server_links` ADD `last_catalog_copy_at` integer;--> statement-breakpoint
ALTER TABLE `server_links` ADD `in_sync_at` integer;--> statement-breakpoint
ALTER TABLE `server_links` ADD `last_replication_at` integer;--> statement-breakpoint
ALTER TABLE `server_links` ADD `last_replication_error` text;--> statement-breakpoint
ALTER TABLE `server_links` ADD `bytes_replicated` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `data_sources` ADD `origin_server_id` text;--> statement-breakpoint
ALTER TABLE `data_sources` ADD `origin_source_id` integer;--> statement-breakpoint
ALTER TABLE `data_sources` ADD `switch_state` text;--> statement-breakpoint
ALTER TABLE `data_sources` ADD `protected_here` integer DEFAULT true NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `sources_origin_unique` ON `data_sources` (`origin_server_id`,`origin_source_id`);--> statement-breakpoint
ALTER TABLE `protection_groups` ADD `origin_server_id` text;--> statement-breakpoint
ALTER TABLE `protection_groups` ADD `origin_group_id` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `groups_origin_unique` ON `protection_groups` (`origin_server_id`,`origin_group_id`);--> statement-breakpoint
ALTER TABLE `recovery_points` ADD `made_by_server_id` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `peer_server_id` text;--> statement-breakpoint
CREATE INDEX `jobs_peer_idx` ON `jobs` (`peer_server_id`,`created_at`);