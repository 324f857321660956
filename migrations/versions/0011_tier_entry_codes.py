"""tier entry codes: the code a promotion granted, beside the bonus it paid

Revision ID: tier_entry_codes
Revises: 0010
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa


revision = 'tier_entry_codes'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('tier_changes', sa.Column('entry_code_id', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tier_changes') as batch:
        batch.drop_column('entry_code_id')
