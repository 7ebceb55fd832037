DROP INDEX `rp_source_time_idx`;--> statement-breakpoint
DROP INDEX `rp_time_idx`;--> statement-breakpoint
CREATE INDEX `rp_source_time_idx` ON `recovery_points` (`data_source_id`,`created_at`,`size_bytes`);--> statement-breakpoint
CREATE INDEX `rp_time_idx` ON `recovery_points` (`created_at`,`data_source_id`,`added_bytes`);--> statement-breakpoint
CREATE INDEX `jobs_created_state_type_idx` ON `jobs` (`created_at`,`state`,`type`);--> statement-breakpoint
CREATE INDEX `jobs_retry_of_idx` ON `jobs` (`retry_of`);