"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('shops',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('platform', sa.Enum('shopify', 'woocommerce', 'bigcommerce', 'stripe', 'custom', name='platform', native_enum=False, length=32), nullable=False),
    sa.Column('domain', sa.String(length=255), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('active', 'uninstalled', name='shopstatus', native_enum=False, length=32), nullable=False),
    sa.Column('webhook_secret', sa.String(length=255), nullable=False),
    sa.Column('previous_webhook_secret', sa.String(length=255), nullable=True),
    sa.Column('widget_secret', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uninstalled_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shops')),
    sa.UniqueConstraint('platform', 'domain', name=op.f('uq_shops_platform_domain'))
    )
    op.create_table('api_keys',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.Enum('read_write', 'read_only', name='apikeyscope', native_enum=False, length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_api_keys_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash'))
    )
    op.create_index(op.f('ix_api_keys_shop_id'), 'api_keys', ['shop_id'], unique=False)
    op.create_table('customer_accounts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('platform_customer_id', sa.String(length=64), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('first_name', sa.String(length=255), nullable=True),
    sa.Column('last_name', sa.String(length=255), nullable=True),
    sa.Column('available', sa.BigInteger(), nullable=False),
    sa.Column('pending', sa.BigInteger(), nullable=False),
    sa.Column('lifetime', sa.BigInteger(), nullable=False),
    sa.Column('merged_into_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('redacted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['merged_into_id'], ['customer_accounts.id'], name=op.f('fk_customer_accounts_merged_into_id_customer_accounts')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_customer_accounts_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_accounts')),
    sa.UniqueConstraint('shop_id', 'platform_customer_id', name=op.f('uq_customer_accounts_shop_id_platform_customer_id'))
    )
    op.create_index('ix_customer_accounts_shop_email', 'customer_accounts', ['shop_id', 'email'], unique=False)
    op.create_index('uq_customer_accounts_guest_email', 'customer_accounts', ['shop_id', 'email'], unique=True, sqlite_where=sa.text('platform_customer_id IS NULL'), postgresql_where=sa.text('platform_customer_id IS NULL'))
    op.create_table('idempotency_records',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_idempotency_records_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_records')),
    sa.UniqueConstraint('shop_id', 'scope', 'key', name=op.f('uq_idempotency_records_shop_id_scope_key'))
    )
    op.create_table('program_settings',
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('points_per_unit', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('rounding', sa.Enum('floor', 'half_up', 'ceil', name='rounding', native_enum=False, length=32), nullable=False),
    sa.Column('include_shipping', sa.Boolean(), nullable=False),
    sa.Column('include_taxes', sa.Boolean(), nullable=False),
    sa.Column('min_order_amount', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('award_on', sa.Enum('paid', 'fulfilled', name='awardon', native_enum=False, length=32), nullable=False),
    sa.Column('pending_days', sa.Integer(), nullable=False),
    sa.Column('skip_test_orders', sa.Boolean(), nullable=False),
    sa.Column('signup_bonus_points', sa.Integer(), nullable=False),
    sa.Column('negative_balance', sa.Enum('allow', 'clamp', name='negativebalancepolicy', native_enum=False, length=32), nullable=False),
    sa.Column('rule_version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_program_settings_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', name=op.f('pk_program_settings'))
    )
    op.create_table('inbound_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('delivery_id', sa.String(length=128), nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('processed', 'ignored', 'rejected', 'failed', name='deliverystatus', native_enum=False, length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('platform_order_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['customer_accounts.id'], name=op.f('fk_inbound_deliveries_account_id_customer_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_inbound_deliveries_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_deliveries')),
    sa.UniqueConstraint('shop_id', 'delivery_id', name=op.f('uq_inbound_deliveries_shop_id_delivery_id'))
    )
    op.create_index(op.f('ix_inbound_deliveries_account_id'), 'inbound_deliveries', ['account_id'], unique=False)
    op.create_index('ix_inbound_deliveries_shop_status', 'inbound_deliveries', ['shop_id', 'status', 'id'], unique=False)
    op.create_table('orders',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('platform_order_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('name', sa.String(length=64), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('items_amount', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('shipping_amount', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('tax_amount', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('is_paid', sa.Boolean(), nullable=False),
    sa.Column('is_fulfilled', sa.Boolean(), nullable=False),
    sa.Column('is_cancelled', sa.Boolean(), nullable=False),
    sa.Column('is_test', sa.Boolean(), nullable=False),
    sa.Column('snapshot_seen', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('open', 'awarded', 'skipped', 'cancelled', name='orderstatus', native_enum=False, length=32), nullable=False),
    sa.Column('skip_reason', sa.String(length=255), nullable=True),
    sa.Column('earn_base', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('base_includes_shipping', sa.Boolean(), nullable=True),
    sa.Column('base_includes_taxes', sa.Boolean(), nullable=True),
    sa.Column('earn_entry_id', sa.BigInteger(), nullable=True),
    sa.Column('points_awarded', sa.BigInteger(), nullable=False),
    sa.Column('points_reversed', sa.BigInteger(), nullable=False),
    sa.Column('refunded_base', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('platform_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['customer_accounts.id'], name=op.f('fk_orders_account_id_customer_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_orders_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('shop_id', 'platform_order_id', name=op.f('uq_orders_shop_id_platform_order_id'))
    )
    op.create_index(op.f('ix_orders_account_id'), 'orders', ['account_id'], unique=False)
    op.create_table('ledger_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.Enum('earn', 'signup_bonus', 'adjustment', 'refund_clawback', 'cancel_clawback', 'merge_in', 'merge_out', name='entrykind', native_enum=False, length=32), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'available', name='entrystatus', native_enum=False, length=32), nullable=False),
    sa.Column('remaining', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('matures_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('matured_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('source', sa.Enum('order', 'refund', 'customer', 'api', 'merge', name='entrysource', native_enum=False, length=32), nullable=False),
    sa.Column('source_ref', sa.String(length=128), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('base_amount', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('rate', sa.Numeric(precision=12, scale=4), nullable=True),
    sa.Column('multiplier', sa.Numeric(precision=12, scale=4), nullable=True),
    sa.Column('rule_version', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.CheckConstraint('points <> 0', name=op.f('ck_ledger_entries_points_nonzero')),
    sa.CheckConstraint('remaining >= 0', name=op.f('ck_ledger_entries_remaining_nonnegative')),
    sa.ForeignKeyConstraint(['account_id'], ['customer_accounts.id'], name=op.f('fk_ledger_entries_account_id_customer_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_ledger_entries_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_ledger_entries_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('shop_id', 'idempotency_key', name=op.f('uq_ledger_entries_shop_id_idempotency_key'))
    )
    op.create_index('ix_ledger_entries_account_id_desc', 'ledger_entries', ['account_id', 'id'], unique=False)
    op.create_index('ix_ledger_entries_open_lots', 'ledger_entries', ['account_id', 'status', 'expires_at'], unique=False, sqlite_where=sa.text('remaining > 0'), postgresql_where=sa.text('remaining > 0'))
    op.create_index(op.f('ix_ledger_entries_order_id'), 'ledger_entries', ['order_id'], unique=False)
    op.create_table('order_refunds',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('platform_refund_id', sa.String(length=64), nullable=False),
    sa.Column('items_amount', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('shipping_amount', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('tax_amount', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('is_effective', sa.Boolean(), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('base_amount', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('points_reversed', sa.BigInteger(), nullable=False),
    sa.Column('platform_created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_refunds_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_order_refunds_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_refunds')),
    sa.UniqueConstraint('shop_id', 'platform_refund_id', name=op.f('uq_order_refunds_shop_id_platform_refund_id'))
    )
    op.create_index(op.f('ix_order_refunds_order_id'), 'order_refunds', ['order_id'], unique=False)
    op.create_table('lot_allocations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('debit_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lot_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('points > 0', name=op.f('ck_lot_allocations_points_positive')),
    sa.ForeignKeyConstraint(['debit_entry_id'], ['ledger_entries.id'], name=op.f('fk_lot_allocations_debit_entry_id_ledger_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lot_entry_id'], ['ledger_entries.id'], name=op.f('fk_lot_allocations_lot_entry_id_ledger_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_lot_allocations_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot_allocations'))
    )
    op.create_index(op.f('ix_lot_allocations_debit_entry_id'), 'lot_allocations', ['debit_entry_id'], unique=False)
    op.create_index(op.f('ix_lot_allocations_lot_entry_id'), 'lot_allocations', ['lot_entry_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_lot_allocations_lot_entry_id'), table_name='lot_allocations')
    op.drop_index(op.f('ix_lot_allocations_debit_entry_id'), table_name='lot_allocations')
    op.drop_table('lot_allocations')
    op.drop_index(op.f('ix_order_refunds_order_id'), table_name='order_refunds')
    op.drop_table('order_refunds')
    op.drop_index(op.f('ix_ledger_entries_order_id'), table_name='ledger_entries')
    op.drop_index('ix_ledger_entries_open_lots', table_name='ledger_entries', sqlite_where=sa.text('remaining > 0'), postgresql_where=sa.text('remaining > 0'))
    op.drop_index('ix_ledger_entries_account_id_desc', table_name='ledger_entries')
    op.drop_table('ledger_entries')
    op.drop_index(op.f('ix_orders_account_id'), table_name='orders')
    op.drop_table('orders')
    op.drop_index('ix_inbound_deliveries_shop_status', table_name='inbound_deliveries')
    op.drop_index(op.f('ix_inbound_deliveries_account_id'), table_name='inbound_deliveries')
    op.drop_table('inbound_deliveries')
    op.drop_table('program_settings')
    op.drop_table('idempotency_records')
    op.drop_index('uq_customer_accounts_guest_email', table_name='customer_accounts', sqlite_where=sa.text('platform_customer_id IS NULL'), postgresql_where=sa.text('platform_customer_id IS NULL'))
    op.drop_index('ix_customer_accounts_shop_email', table_name='customer_accounts')
    op.drop_table('customer_accounts')
    op.drop_index(op.f('ix_api_keys_shop_id'), table_name='api_keys')
    op.drop_table('api_keys')
    op.drop_table('shops')
