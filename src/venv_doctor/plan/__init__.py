"""Pure planning: findings and a wanted set in, an ordered list of actions out."""
