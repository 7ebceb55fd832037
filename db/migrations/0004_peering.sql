CREATE TABLE `peer_enrolment_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`token_hash` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`closed_at` integer,
	`closed_reason` text,
	`used_by_server_id` text
);
--> statement-breakpoint
CREATE TABLE `server_links` (
	`primary_id` text NOT NULL,
	`secondary_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_contact_at` integer,
	PRIMARY KEY(`primary_id`, `secondary_id`),
	FOREIGN KEY (`primary_id`) REFERENCES `servers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`secondary_id`) REFERENCES `servers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `servers` ADD `public_key` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `servers` ADD `key_id` text;--> statement-breakpoint
ALTER TABLE `servers` ADD `version` text;--> statement-breakpoint
ALTER TABLE `servers` ADD `peer_protocol` integer;--> statement-breakpoint
CREATE INDEX `servers_key_id` ON `servers` (`key_id`);