export * from "./users";
export * from "./audit";
export * from "./servers";
export * from "./protection";
export * from "./monitoring";
export * from "./tape";
