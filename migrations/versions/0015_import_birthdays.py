"""when an import line set the customer's birthday, so reverting the batch can take it back

Revision ID: import_birthdays
Revises: dashboard
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa


revision = 'import_birthdays'
down_revision = 'dashboard'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('import_rows') as batch:
        batch.add_column(sa.Column('birthday_set_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('import_rows') as batch:
        batch.drop_column('birthday_set_at')
