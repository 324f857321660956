"""tiers, rewards and reward codes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Columns added to existing tables carry server defaults so existing rows are filled.
    op.create_table('tiers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('threshold', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('multiplier', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('entry_bonus_points', sa.BigInteger(), nullable=False),
    sa.Column('entry_reward_id', sa.BigInteger(), nullable=True),
    sa.Column('perks', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('entry_bonus_points >= 0', name=op.f('ck_tiers_entry_bonus_nonnegative')),
    sa.CheckConstraint('multiplier > 0', name=op.f('ck_tiers_multiplier_positive')),
    sa.CheckConstraint('threshold >= 0', name=op.f('ck_tiers_threshold_nonnegative')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_tiers_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tiers'))
    )
    with op.batch_alter_table('tiers', schema=None) as batch_op:
        batch_op.create_index('ix_tiers_shop_threshold', ['shop_id', 'threshold'], unique=False)

    op.create_table('rewards',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('kind', sa.Enum('fixed_amount', 'percentage', 'free_shipping', 'free_product', 'variable', name='rewardkind', native_enum=False, length=32), nullable=False),
    sa.Column('points_cost', sa.BigInteger(), nullable=False),
    sa.Column('value', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('min_points', sa.BigInteger(), nullable=True),
    sa.Column('max_points', sa.BigInteger(), nullable=True),
    sa.Column('product_variant_id', sa.String(length=64), nullable=True),
    sa.Column('min_order_subtotal', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('validity_days', sa.Integer(), nullable=False),
    sa.Column('required_tier_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('per_customer_limit', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('points_cost > 0', name=op.f('ck_rewards_points_cost_positive')),
    sa.CheckConstraint('validity_days > 0', name=op.f('ck_rewards_validity_days_positive')),
    sa.CheckConstraint('value >= 0', name=op.f('ck_rewards_value_nonnegative')),
    sa.ForeignKeyConstraint(['required_tier_id'], ['tiers.id'], name=op.f('fk_rewards_required_tier_id_tiers')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_rewards_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rewards'))
    )
    with op.batch_alter_table('rewards', schema=None) as batch_op:
        batch_op.create_index('ix_rewards_shop_active', ['shop_id', 'active'], unique=False)

    op.create_table('reward_codes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reward_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('pending', 'issued', 'used', 'expired', 'cancelled', 'failed', name='codestatus', native_enum=False, length=32), nullable=False),
    sa.Column('origin', sa.Enum('redemption', 'tier_entry', 'referral', 'admin', name='codeorigin', native_enum=False, length=32), nullable=False),
    sa.Column('kind', sa.Enum('fixed_amount', 'percentage', 'free_shipping', 'free_product', 'variable', name='rewardkind', native_enum=False, length=32), nullable=False),
    sa.Column('value', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('min_order_subtotal', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('product_variant_id', sa.String(length=64), nullable=True),
    sa.Column('points_spent', sa.BigInteger(), nullable=False),
    sa.Column('debit_entry_id', sa.BigInteger(), nullable=True),
    sa.Column('refund_entry_id', sa.BigInteger(), nullable=True),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('platform_ref', sa.String(length=255), nullable=True),
    sa.Column('failure', sa.Text(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_order_id', sa.String(length=64), nullable=True),
    sa.Column('order_revenue', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.CheckConstraint('points_spent >= 0', name=op.f('ck_reward_codes_points_spent_nonnegative')),
    sa.ForeignKeyConstraint(['account_id'], ['customer_accounts.id'], name=op.f('fk_reward_codes_account_id_customer_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reward_id'], ['rewards.id'], name=op.f('fk_reward_codes_reward_id_rewards')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_reward_codes_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reward_codes')),
    sa.UniqueConstraint('shop_id', 'code', name=op.f('uq_reward_codes_shop_id_code'))
    )
    with op.batch_alter_table('reward_codes', schema=None) as batch_op:
        batch_op.create_index('ix_reward_codes_account_id_desc', ['account_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reward_codes_reward_id'), ['reward_id'], unique=False)
        batch_op.create_index('ix_reward_codes_shop_status', ['shop_id', 'status', 'expires_at'], unique=False)

    op.create_table('tier_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('from_tier_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('to_tier_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('from_name', sa.String(length=100), nullable=True),
    sa.Column('to_name', sa.String(length=100), nullable=True),
    sa.Column('to_threshold', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('reason', sa.Enum('promotion', 'reversal', 'window_end', 'reevaluation', name='tierchangereason', native_enum=False, length=32), nullable=False),
    sa.Column('basis', sa.Enum('points_earned', 'amount_spent', 'order_count', name='tierbasis', native_enum=False, length=32), nullable=False),
    sa.Column('window', sa.Enum('lifetime', 'calendar_year', 'rolling_12_months', name='tierwindow', native_enum=False, length=32), nullable=False),
    sa.Column('progress', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bonus_entry_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['customer_accounts.id'], name=op.f('fk_tier_changes_account_id_customer_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_tier_id'], ['tiers.id'], name=op.f('fk_tier_changes_from_tier_id_tiers')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_tier_changes_shop_id_shops'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_tier_id'], ['tiers.id'], name=op.f('fk_tier_changes_to_tier_id_tiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tier_changes'))
    )
    with op.batch_alter_table('tier_changes', schema=None) as batch_op:
        batch_op.create_index('ix_tier_changes_account_id_desc', ['account_id', 'id'], unique=False)

    with op.batch_alter_table('customer_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tier_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('tier_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('tier_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('tiers_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_foreign_key(batch_op.f('fk_customer_accounts_tier_id_tiers'), 'tiers', ['tier_id'], ['id'])

    with op.batch_alter_table('program_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tier_basis', sa.Enum('points_earned', 'amount_spent', 'order_count', name='tierbasis', native_enum=False, length=32), nullable=False, server_default='points_earned'))
        batch_op.add_column(sa.Column('tier_window', sa.Enum('lifetime', 'calendar_year', 'rolling_12_months', name='tierwindow', native_enum=False, length=32), nullable=False, server_default='lifetime'))
        batch_op.add_column(sa.Column('tier_downgrade', sa.Enum('requalify', 'one_step', name='downgradepolicy', native_enum=False, length=32), nullable=False, server_default='requalify'))
        batch_op.add_column(sa.Column('tier_grace_days', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('tiers_version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('code_prefix', sa.String(length=12), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('program_settings', schema=None) as batch_op:
        batch_op.drop_column('code_prefix')
        batch_op.drop_column('tiers_version')
        batch_op.drop_column('tier_grace_days')
        batch_op.drop_column('tier_downgrade')
        batch_op.drop_column('tier_window')
        batch_op.drop_column('tier_basis')

    with op.batch_alter_table('customer_accounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_customer_accounts_tier_id_tiers'), type_='foreignkey')
        batch_op.drop_column('tiers_version')
        batch_op.drop_column('tier_expires_at')
        batch_op.drop_column('tier_since')
        batch_op.drop_column('tier_id')

    with op.batch_alter_table('tier_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_tier_changes_account_id_desc')

    op.drop_table('tier_changes')
    with op.batch_alter_table('reward_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_reward_codes_shop_status')
        batch_op.drop_index(batch_op.f('ix_reward_codes_reward_id'))
        batch_op.drop_index('ix_reward_codes_account_id_desc')

    op.drop_table('reward_codes')
    with op.batch_alter_table('rewards', schema=None) as batch_op:
        batch_op.drop_index('ix_rewards_shop_active')

    op.drop_table('rewards')
    with op.batch_alter_table('tiers', schema=None) as batch_op:
        batch_op.drop_index('ix_tiers_shop_threshold')

    op.drop_table('tiers')
