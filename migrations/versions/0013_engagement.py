"""referral welcome and referrer codes, tier downgrade notices

Revision ID: engagement
Revises: analytics
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = 'engagement'
down_revision = 'analytics'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tier_downgrade_notices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('warned', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['customer_accounts.id'], name=op.f('fk_tier_downgrade_notices_account_id_customer_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_tier_downgrade_notices_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tier_downgrade_notices')),
    sa.UniqueConstraint('account_id', 'expires_at', name=op.f('uq_tier_downgrade_notices_account_id_expires_at'))
    )
    with op.batch_alter_table('tier_downgrade_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tier_downgrade_notices_shop_id'), ['shop_id'], unique=False)

    with op.batch_alter_table('program_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tier_downgrade_notice_days', sa.Integer(), nullable=False, server_default='14'))
        batch_op.add_column(sa.Column('welcome_reward_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('referrer_reward', sa.Enum('points', 'reward', name='referrerreward', native_enum=False, length=32), nullable=False, server_default='points'))
        batch_op.add_column(sa.Column('referrer_reward_id', sa.BigInteger(), nullable=True))

    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referrer_code_id', sa.BigInteger(), nullable=True))

    with op.batch_alter_table('reward_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grant_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_reward_codes_shop_id_grant_key'), ['shop_id', 'grant_key'])


def downgrade() -> None:
    with op.batch_alter_table('reward_codes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_reward_codes_shop_id_grant_key'), type_='unique')
        batch_op.drop_column('grant_key')

    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_column('referrer_code_id')

    with op.batch_alter_table('program_settings', schema=None) as batch_op:
        batch_op.drop_column('referrer_reward_id')
        batch_op.drop_column('referrer_reward')
        batch_op.drop_column('welcome_reward_id')
        batch_op.drop_column('tier_downgrade_notice_days')

    with op.batch_alter_table('tier_downgrade_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tier_downgrade_notices_shop_id'))

    op.drop_table('tier_downgrade_notices')
