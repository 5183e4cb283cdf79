CREATE TABLE `access_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`secret_hash` text NOT NULL,
	`user_id` text,
	`organization_id` text,
	`name` text,
	`description` text DEFAULT '' NOT NULL,
	`created_by_user_id` text,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`expires_at` integer,
	`deleted_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "access_tokens_owner" CHECK((kind = 'PERSONAL' AND user_id IS NOT NULL AND organization_id IS NULL)
        OR (kind = 'ORGANIZATION' AND organization_id IS NOT NULL AND name IS NOT NULL AND user_id IS NULL))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `access_tokens_secret_hash_unique` ON `access_tokens` (`secret_hash`);--> statement-breakpoint
CREATE INDEX `access_tokens_user_idx` ON `access_tokens` (`user_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `access_tokens_org_name_unique` ON `access_tokens` (`organization_id`,lower("name")) WHERE kind = 'ORGANIZATION';--> statement-breakpoint
CREATE TABLE `audit_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`organization_id` text NOT NULL,
	`timestamp` integer NOT NULL,
	`event` text NOT NULL,
	`description` text NOT NULL,
	`source_ip` text,
	`user_agent` text,
	`user_id` text,
	`user_login` text,
	`user_name` text,
	`user_avatar_url` text,
	`token_id` text,
	`token_name` text,
	`require_org_admin` integer NOT NULL,
	`require_stack_admin` integer NOT NULL,
	`auth_failure` integer NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `audit_events_page_idx` ON `audit_events` (`organization_id`,`id`);--> statement-breakpoint
CREATE INDEX `audit_events_time_idx` ON `audit_events` (`organization_id`,`timestamp`);--> statement-breakpoint
CREATE INDEX `audit_events_event_idx` ON `audit_events` (`organization_id`,`event`,`id`);--> statement-breakpoint
CREATE TABLE `memberships` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`organization_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `memberships_member_unique` ON `memberships` (`organization_id`,`user_id`);--> statement-breakpoint
CREATE INDEX `memberships_page_idx` ON `memberships` (`organization_id`,`seq`);--> statement-breakpoint
CREATE INDEX `memberships_user_idx` ON `memberships` (`user_id`);--> statement-breakpoint
CREATE TABLE `organizations` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`display_name` text NOT NULL,
	`tier` text DEFAULT 'TEAM' NOT NULL,
	`trial_ends_at` integer,
	`default_stack_permission` text DEFAULT 'READ' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `organizations_name_unique` ON `organizations` (lower("name"));--> statement-breakpoint
CREATE TABLE `stack_checkpoints` (
	`stack_id` text PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`stack_id`) REFERENCES `stacks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `stack_tags` (
	`stack_id` text NOT NULL,
	`name` text NOT NULL,
	`value` text NOT NULL,
	PRIMARY KEY(`stack_id`, `name`),
	FOREIGN KEY (`stack_id`) REFERENCES `stacks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `stack_tags_filter_idx` ON `stack_tags` (`name`,`value`);--> statement-breakpoint
CREATE TABLE `stack_updates` (
	`id` text PRIMARY KEY NOT NULL,
	`stack_id` text NOT NULL,
	`version` integer NOT NULL,
	`kind` text NOT NULL,
	`is_preview` integer NOT NULL,
	`status` text NOT NULL,
	`message` text,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	`requested_by_user_id` text,
	`requested_by_token_id` text,
	`requested_by` text NOT NULL,
	`resource_changes` text,
	FOREIGN KEY (`stack_id`) REFERENCES `stacks`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`requested_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `stack_updates_version_unique` ON `stack_updates` (`stack_id`,`version`);--> statement-breakpoint
CREATE INDEX `stack_updates_page_idx` ON `stack_updates` (`stack_id`,`is_preview`,`version`);--> statement-breakpoint
CREATE UNIQUE INDEX `stack_updates_one_running` ON `stack_updates` (`stack_id`) WHERE status = 'RUNNING' AND is_preview = 0;--> statement-breakpoint
CREATE TABLE `stacks` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`organization_id` text NOT NULL,
	`project` text NOT NULL,
	`name` text NOT NULL,
	`created_by_user_id` text,
	`created_at` integer NOT NULL,
	`last_updated_at` integer,
	`resource_count` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `stacks_id_unique` ON `stacks` (`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `stacks_name_unique` ON `stacks` (`organization_id`,`project`,`name`);--> statement-breakpoint
CREATE INDEX `stacks_page_idx` ON `stacks` (`organization_id`,`seq`);--> statement-breakpoint
CREATE INDEX `stacks_project_page_idx` ON `stacks` (`organization_id`,`project`,`seq`);--> statement-breakpoint
CREATE INDEX `stacks_creator_idx` ON `stacks` (`created_by_user_id`);--> statement-breakpoint
CREATE TABLE `team_members` (
	`team_id` text NOT NULL,
	`user_id` text NOT NULL,
	PRIMARY KEY(`team_id`, `user_id`),
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `team_members_user_idx` ON `team_members` (`user_id`);--> statement-breakpoint
CREATE TABLE `team_stack_grants` (
	`team_id` text NOT NULL,
	`stack_id` text NOT NULL,
	`permission` text NOT NULL,
	PRIMARY KEY(`team_id`, `stack_id`),
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`stack_id`) REFERENCES `stacks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `team_stack_grants_stack_idx` ON `team_stack_grants` (`stack_id`);--> statement-breakpoint
CREATE TABLE `teams` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`name` text NOT NULL,
	`display_name` text NOT NULL,
	`description` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `teams_name_unique` ON `teams` (`organization_id`,lower("name"));--> statement-breakpoint
CREATE TABLE `update_events` (
	`update_id` text NOT NULL,
	`sequence` integer NOT NULL,
	`timestamp` integer NOT NULL,
	`type` text NOT NULL,
	`payload` text NOT NULL,
	PRIMARY KEY(`update_id`, `sequence`),
	FOREIGN KEY (`update_id`) REFERENCES `stack_updates`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`login` text NOT NULL,
	`name` text,
	`email` text,
	`avatar_url` text,
	`is_site_admin` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_login_unique` ON `users` (lower("login"));--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`webhook_id` text NOT NULL,
	`outbox_id` integer,
	`kind` text NOT NULL,
	`payload` text NOT NULL,
	`timestamp` integer NOT NULL,
	`duration` integer,
	`request_url` text NOT NULL,
	`request_headers` text NOT NULL,
	`response_code` integer,
	`response_headers` text,
	`response_body` text,
	`error` text,
	`attempt` integer NOT NULL,
	FOREIGN KEY (`webhook_id`) REFERENCES `webhooks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_page_idx` ON `webhook_deliveries` (`webhook_id`,`id`);--> statement-breakpoint
CREATE TABLE `webhook_outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`webhook_id` text NOT NULL,
	`message_id` text NOT NULL,
	`kind` text NOT NULL,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`state` text DEFAULT 'PENDING' NOT NULL,
	FOREIGN KEY (`webhook_id`) REFERENCES `webhooks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webhook_outbox_due_idx` ON `webhook_outbox` (`state`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `webhooks` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`name` text NOT NULL,
	`display_name` text NOT NULL,
	`payload_url` text NOT NULL,
	`secret_ciphertext` text,
	`active` integer NOT NULL,
	`format` text NOT NULL,
	`filters` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhooks_name_unique` ON `webhooks` (`organization_id`,lower("name"));