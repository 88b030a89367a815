"""What shop systems connect with: API keys and webhooks."""
