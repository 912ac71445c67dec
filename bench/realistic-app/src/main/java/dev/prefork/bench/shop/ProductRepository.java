package dev.prefork.bench.shop;

import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.EntityGraph;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

interface ProductRepository extends JpaRepository<Product, Long> {

	Page<Product> findByCategory(String category, Pageable pageable);

	List<Product> findTop20ByNameContainingIgnoreCaseOrderByPriceAsc(String text);

	@EntityGraph(attributePaths = "reviews")
	@Query("select p from Product p where p.id = ?1")
	Optional<Product> findWithReviews(Long id);

	@Query("select distinct p.category from Product p order by p.category")
	List<String> categories();

}
