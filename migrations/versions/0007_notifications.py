"""notifications

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Columns added to existing tables carry server defaults so existing rows are filled.
    op.create_table('email_settings',
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('from_address', sa.String(length=320), nullable=True),
    sa.Column('from_name', sa.String(length=100), nullable=True),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_email_settings_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', name=op.f('pk_email_settings'))
    )
    op.create_table('email_templates',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.Enum('points_earned', 'reward_issued', 'points_expiring', 'tier_up', name='emailkind', native_enum=False, length=32), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_email_templates_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_templates')),
    sa.UniqueConstraint('shop_id', 'kind', 'locale', name=op.f('uq_email_templates_shop_id_kind_locale'))
    )
    op.create_table('webhook_endpoints',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=True),
    sa.Column('event_types', sa.JSON(), nullable=False),
    sa.Column('secret', sa.String(length=128), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_webhook_endpoints_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints'))
    )
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_endpoints_shop_id'), ['shop_id'], unique=False)

    op.create_table('outbound_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('type', sa.Enum('points.earned', 'points.reversed', 'points.expired', 'points.expiring', 'tier.changed', 'reward.issued', 'referral.completed', name='eventtype', native_enum=False, length=32), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fanned_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['customer_accounts.id'], name=op.f('fk_outbound_events_account_id_customer_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_outbound_events_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_events')),
    sa.UniqueConstraint('shop_id', 'key', name=op.f('uq_outbound_events_shop_id_key'))
    )
    with op.batch_alter_table('outbound_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbound_events_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_outbound_events_unfanned', ['id'], unique=False, sqlite_where=sa.text('fanned_out_at IS NULL'), postgresql_where=sa.text('fanned_out_at IS NULL'))

    op.create_table('outbound_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.Enum('webhook', 'email', name='deliverychannel', native_enum=False, length=32), nullable=False),
    sa.Column('endpoint_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('recipient', sa.String(length=320), nullable=True),
    sa.Column('status', sa.Enum('pending', 'delivered', 'dead', name='outboundstatus', native_enum=False, length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_token', sa.String(length=32), nullable=True),
    sa.Column('leased_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'], name=op.f('fk_outbound_deliveries_endpoint_id_webhook_endpoints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['outbound_events.id'], name=op.f('fk_outbound_deliveries_event_id_outbound_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_outbound_deliveries_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_deliveries')),
    sa.UniqueConstraint('event_id', 'endpoint_id', name=op.f('uq_outbound_deliveries_event_id_endpoint_id'))
    )
    with op.batch_alter_table('outbound_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_outbound_deliveries_due', ['next_attempt_at'], unique=False, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.create_index(batch_op.f('ix_outbound_deliveries_endpoint_id'), ['endpoint_id'], unique=False)
        batch_op.create_index('ix_outbound_deliveries_shop_status', ['shop_id', 'status', 'id'], unique=False)
        batch_op.create_index('uq_outbound_deliveries_email', ['event_id'], unique=True, sqlite_where=sa.text("channel = 'email'"), postgresql_where=sa.text("channel = 'email'"))

    op.create_table('expiry_reminders',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['customer_accounts.id'], name=op.f('fk_expiry_reminders_account_id_customer_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_expiry_reminders_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expiry_reminders')),
    sa.UniqueConstraint('account_id', 'expires_at', name=op.f('uq_expiry_reminders_account_id_expires_at'))
    )
    with op.batch_alter_table('expiry_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expiry_reminders_shop_id'), ['shop_id'], unique=False)

    with op.batch_alter_table('program_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expiry_warning_days', sa.Integer(), nullable=False, server_default='14'))



def downgrade() -> None:
    with op.batch_alter_table('program_settings', schema=None) as batch_op:
        batch_op.drop_column('expiry_warning_days')

    with op.batch_alter_table('expiry_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expiry_reminders_shop_id'))

    op.drop_table('expiry_reminders')
    with op.batch_alter_table('outbound_deliveries', schema=None) as batch_op:
        batch_op.drop_index('uq_outbound_deliveries_email', sqlite_where=sa.text("channel = 'email'"), postgresql_where=sa.text("channel = 'email'"))
        batch_op.drop_index('ix_outbound_deliveries_shop_status')
        batch_op.drop_index(batch_op.f('ix_outbound_deliveries_endpoint_id'))
        batch_op.drop_index('ix_outbound_deliveries_due', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))

    op.drop_table('outbound_deliveries')
    with op.batch_alter_table('outbound_events', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_events_unfanned', sqlite_where=sa.text('fanned_out_at IS NULL'), postgresql_where=sa.text('fanned_out_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_outbound_events_account_id'))

    op.drop_table('outbound_events')
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_endpoints_shop_id'))

    op.drop_table('webhook_endpoints')
    op.drop_table('email_templates')
    op.drop_table('email_settings')
