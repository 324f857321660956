"""birthdays and referrals

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
LIVE_REFERRAL = sa.text("status <> 'rejected'")


def upgrade() -> None:
    op.create_table('customer_addresses',
    sa.Column('id', BigId, nullable=False),
    sa.Column('shop_id', BigId, nullable=False),
    sa.Column('account_id', BigId, nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['customer_accounts.id'], name=op.f('fk_customer_addresses_account_id_customer_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_customer_addresses_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_addresses')),
    sa.UniqueConstraint('account_id', 'digest', name=op.f('uq_customer_addresses_account_id_digest'))
    )
    op.create_table('referrals',
    sa.Column('id', BigId, nullable=False),
    sa.Column('shop_id', BigId, nullable=False),
    sa.Column('referrer_account_id', BigId, nullable=False),
    sa.Column('friend_account_id', BigId, nullable=True),
    sa.Column('friend_email', sa.String(length=320), nullable=True),
    sa.Column('friend_identity', sa.String(length=320), nullable=True),
    sa.Column('friend_external_id', sa.String(length=64), nullable=True),
    sa.Column('friend_address_digest', sa.String(length=64), nullable=True),
    sa.Column('status', sa.Enum('pending', 'completed', 'voided', 'rejected', name='referralstatus', native_enum=False, length=32), nullable=False),
    sa.Column('reason', sa.Enum('self_referral', 'friend_not_new', 'referral_limit_reached', 'order_refunded', 'order_cancelled', name='referralreason', native_enum=False, length=32), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('order_id', BigId, nullable=True),
    sa.Column('referrer_points', sa.BigInteger(), nullable=False),
    sa.Column('referrer_entry_id', sa.BigInteger(), nullable=True),
    sa.Column('clawback_entry_id', sa.BigInteger(), nullable=True),
    sa.Column('welcome_code_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['friend_account_id'], ['customer_accounts.id'], name=op.f('fk_referrals_friend_account_id_customer_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_referrals_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['referrer_account_id'], ['customer_accounts.id'], name=op.f('fk_referrals_referrer_account_id_customer_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_referrals_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index('ix_referrals_friend_account', ['friend_account_id'], unique=False)
        batch_op.create_index('ix_referrals_order', ['order_id'], unique=False)
        batch_op.create_index('ix_referrals_referrer_created', ['referrer_account_id', 'created_at'], unique=False)
        batch_op.create_index('ix_referrals_shop_status', ['shop_id', 'status', 'id'], unique=False)
        batch_op.create_index('uq_referrals_shop_friend', ['shop_id', 'friend_identity'], unique=True,
                              sqlite_where=LIVE_REFERRAL, postgresql_where=LIVE_REFERRAL)

    # Columns added to existing tables carry server defaults so existing rows are filled.
    with op.batch_alter_table('customer_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birth_month', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('birth_day', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('birth_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('birthday_set_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('birthday_paid_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('referral_code', sa.String(length=16), nullable=True))
        batch_op.create_index('ix_customer_accounts_birthday', ['shop_id', 'birth_month', 'birth_day'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_customer_accounts_shop_id_referral_code'), ['shop_id', 'referral_code'])

    with op.batch_alter_table('program_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birthday_points', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('referrals_enabled', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('referral_points', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('referral_limit', sa.Integer(), nullable=False, server_default='10'))
        batch_op.add_column(sa.Column('referral_limit_days', sa.Integer(), nullable=False, server_default='30'))


def downgrade() -> None:
    with op.batch_alter_table('program_settings', schema=None) as batch_op:
        batch_op.drop_column('referral_limit_days')
        batch_op.drop_column('referral_limit')
        batch_op.drop_column('referral_points')
        batch_op.drop_column('referrals_enabled')
        batch_op.drop_column('birthday_points')

    with op.batch_alter_table('customer_accounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_customer_accounts_shop_id_referral_code'), type_='unique')
        batch_op.drop_index('ix_customer_accounts_birthday')
        batch_op.drop_column('referral_code')
        batch_op.drop_column('birthday_paid_year')
        batch_op.drop_column('birthday_set_at')
        batch_op.drop_column('birth_year')
        batch_op.drop_column('birth_day')
        batch_op.drop_column('birth_month')

    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('uq_referrals_shop_friend', sqlite_where=LIVE_REFERRAL, postgresql_where=LIVE_REFERRAL)
        batch_op.drop_index('ix_referrals_shop_status')
        batch_op.drop_index('ix_referrals_referrer_created')
        batch_op.drop_index('ix_referrals_order')
        batch_op.drop_index('ix_referrals_friend_account')

    op.drop_table('referrals')
    op.drop_table('customer_addresses')
