"""The store's schema migrations (Alembic), shipped inside the package and run when a store opens
(`segchat.agent.serving.store.schema.upgrade`); `env.py` is Alembic's entry point, `versions/` the steps."""
