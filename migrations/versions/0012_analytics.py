"""indexes for reports by date

Revision ID: analytics
Revises: 0010
Create Date: 2026-11-24
"""
from alembic import op


revision = 'analytics'
down_revision = 'tier_entry_codes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_ledger_entries_shop_created', 'ledger_entries', ['shop_id', 'created_at'])
    op.create_index('ix_orders_shop_created', 'orders', ['shop_id', 'created_at'])
    op.create_index('ix_reward_codes_shop_created', 'reward_codes', ['shop_id', 'created_at'])
    op.create_index('ix_reward_codes_shop_used', 'reward_codes', ['shop_id', 'used_at'])


def downgrade() -> None:
    op.drop_index('ix_reward_codes_shop_used', table_name='reward_codes')
    op.drop_index('ix_reward_codes_shop_created', table_name='reward_codes')
    op.drop_index('ix_orders_shop_created', table_name='orders')
    op.drop_index('ix_ledger_entries_shop_created', table_name='ledger_entries')
