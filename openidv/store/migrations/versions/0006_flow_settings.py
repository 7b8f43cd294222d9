"""hosted flow settings: selfie camera-only, consent, branding, saved progress, hand-off codes

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('selfie_camera_only', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('consent_texts', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('brand_color', sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column('logo_png', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('logo_sha256', sa.String(length=64), nullable=True))
    with op.batch_alter_table('verifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_given_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('consent', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('digit_string_expires_at', sa.DateTime(), nullable=True))
    op.create_table('flow_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('verification_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=40), nullable=False),
    sa.Column('document_type', sa.String(length=30), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['verification_id'], ['verifications.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('storage_key'),
    sa.UniqueConstraint('verification_id', 'step', name='uq_flow_drafts_step')
    )
    with op.batch_alter_table('flow_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flow_drafts_verification_id'), ['verification_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('flow_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flow_drafts_verification_id'))
    op.drop_table('flow_drafts')
    with op.batch_alter_table('verifications', schema=None) as batch_op:
        batch_op.drop_column('digit_string_expires_at')
        batch_op.drop_column('consent')
        batch_op.drop_column('consent_given_at')
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.drop_column('logo_sha256')
        batch_op.drop_column('logo_png')
        batch_op.drop_column('brand_color')
        batch_op.drop_column('consent_texts')
        batch_op.drop_column('selfie_camera_only')
