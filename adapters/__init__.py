"""Registry adapters: each jurisdiction's registry as its own event-sourced application."""
