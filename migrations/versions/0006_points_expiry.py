"""points expiry

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Columns added to existing tables carry server defaults so existing rows are filled.
    with op.batch_alter_table('customer_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expiry_version', sa.Integer(), nullable=False, server_default='1'))

    with op.batch_alter_table('program_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expiry_policy', sa.Enum('none', 'per_lot', 'inactivity', name='expirypolicy', native_enum=False, length=32), nullable=False, server_default='none'))
        batch_op.add_column(sa.Column('expiry_days', sa.Integer(), nullable=False, server_default='365'))
        batch_op.add_column(sa.Column('expiry_enabled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('expiry_version', sa.Integer(), nullable=False, server_default='1'))

    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_expiring', ['expires_at'], unique=False,
                              sqlite_where=sa.text('remaining > 0 AND points > 0'),
                              postgresql_where=sa.text('remaining > 0 AND points > 0'))


def downgrade() -> None:
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entries_expiring')

    with op.batch_alter_table('program_settings', schema=None) as batch_op:
        batch_op.drop_column('expiry_version')
        batch_op.drop_column('expiry_enabled_at')
        batch_op.drop_column('expiry_days')
        batch_op.drop_column('expiry_policy')

    with op.batch_alter_table('customer_accounts', schema=None) as batch_op:
        batch_op.drop_column('expiry_version')
