"""iDenfy drop-in: webhook signing choice, client address, duplicate-face scanRefs

Revision ID: 0004_compat
Revises: 0002_legacy
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_compat'
down_revision = '0002_legacy'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('partners') as batch:
        batch.add_column(sa.Column('webhook_signing', sa.String(length=20), nullable=False,
                                   server_default='webhook-secret'))
        batch.add_column(sa.Column('api_secret_encrypted', sa.LargeBinary(), nullable=True))
    with op.batch_alter_table('verifications') as batch:
        batch.add_column(sa.Column('client_ip', sa.String(length=45), nullable=True))
        batch.add_column(sa.Column('duplicate_faces', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('duplicate_doc_faces', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('verifications') as batch:
        batch.drop_column('duplicate_doc_faces')
        batch.drop_column('duplicate_faces')
        batch.drop_column('client_ip')
    with op.batch_alter_table('partners') as batch:
        batch.drop_column('api_secret_encrypted')
        batch.drop_column('webhook_signing')
