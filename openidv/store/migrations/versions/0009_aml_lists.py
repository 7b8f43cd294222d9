"""sanctions/PEP lists: versions, sources, entries, name keys, reviewers' marks

Revision ID: 0009_aml_lists
Revises: 0008_face_ids_not_reused
Create Date: 2026-12-01 21:10:53.300967
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_aml_lists'
down_revision = '0008_face_ids_not_reused'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('aml_list_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('format', sa.String(length=30), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=True),
    sa.Column('list_date', sa.String(length=10), nullable=True),
    sa.Column('entity_count', sa.Integer(), nullable=False),
    sa.Column('changed_count', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.JSON(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('aml_list_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aml_list_versions_source'), ['source'], unique=False)

    op.create_table('aml_marks',
    sa.Column('person_key', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('entity_id', sa.String(length=200), nullable=False),
    sa.Column('verdict', sa.String(length=20), nullable=False),
    sa.Column('entity_hash', sa.String(length=32), nullable=False),
    sa.Column('reviewer', sa.String(length=254), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('person_key', 'source', 'entity_id')
    )
    op.create_table('aml_name_keys',
    sa.Column('key', sa.BigInteger(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('entity_pk', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('key', 'version_id', 'entity_pk'),
    sqlite_with_rowid=False
    )
    op.create_table('aml_entities',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.String(length=200), nullable=False),
    sa.Column('schema', sa.String(length=20), nullable=False),
    sa.Column('names', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('changed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['aml_list_versions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('aml_entities', schema=None) as batch_op:
        batch_op.create_index('ix_aml_entities_version_entity', ['version_id', 'entity_id'], unique=False)

    op.create_table('aml_sources',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['current_version_id'], ['aml_list_versions.id'], ),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('aml_sources')
    with op.batch_alter_table('aml_entities', schema=None) as batch_op:
        batch_op.drop_index('ix_aml_entities_version_entity')

    op.drop_table('aml_entities')
    op.drop_table('aml_name_keys')
    op.drop_table('aml_marks')
    with op.batch_alter_table('aml_list_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aml_list_versions_source'))

    op.drop_table('aml_list_versions')
