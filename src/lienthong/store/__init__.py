"""Storage: the database engine and tables (SQLAlchemy 2, Alembic) and content-addressed blob storage."""
