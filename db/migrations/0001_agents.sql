CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`computer_id` integer NOT NULL,
	`url` text NOT NULL,
	`public_key` text NOT NULL,
	`key_id` text NOT NULL,
	`built_in` integer DEFAULT false NOT NULL,
	`paired_at` integer NOT NULL,
	`last_contact_at` integer,
	FOREIGN KEY (`computer_id`) REFERENCES `protected_computers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agents_key_unique` ON `agents` (`key_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `agents_computer_unique` ON `agents` (`computer_id`);