package dev.prefork.autoconfigure;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import dev.prefork.hooks.ServerHooks;

import org.springframework.beans.factory.BeanClassLoaderAware;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.context.annotation.ImportCandidates;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.util.ClassUtils;

/**
 * Registers the user's {@link ServerHooks} classes as beans of the master's context: those
 * listed in {@code META-INF/spring/dev.prefork.hooks.ServerHooks.imports} and in
 * {@code prefork.hooks}. Only these classes are loaded into the master, never the user's
 * application context.
 */
class ServerHooksRegistrar implements ImportBeanDefinitionRegistrar, EnvironmentAware, BeanClassLoaderAware {

	private Environment environment;

	private ClassLoader classLoader;

	@Override
	public void setEnvironment(Environment environment) {
		this.environment = environment;
	}

	@Override
	public void setBeanClassLoader(ClassLoader classLoader) {
		this.classLoader = classLoader;
	}

	@Override
	public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
		Set<String> names = new LinkedHashSet<>();
		ImportCandidates.load(ServerHooks.class, this.classLoader).forEach(names::add);
		names.addAll(Binder.get(this.environment).bind("prefork.hooks", Bindable.listOf(String.class)).orElse(List.of()));
		for (String name : names) {
			Class<?> type = load(name.trim());
			registry.registerBeanDefinition("preforkServerHooks." + type.getName(), new RootBeanDefinition(type));
		}
	}

	private Class<?> load(String name) {
		Class<?> type;
		try {
			type = ClassUtils.forName(name, this.classLoader);
		}
		catch (ClassNotFoundException | LinkageError ex) {
			throw new PreforkStartupException("The server hooks class " + name + " cannot be loaded: " + ex + ".",
					"Fix the class name in prefork.hooks or META-INF/spring/dev.prefork.hooks.ServerHooks.imports.", ex);
		}
		if (!ServerHooks.class.isAssignableFrom(type)) {
			throw new PreforkStartupException("The server hooks class " + name + " does not implement "
					+ ServerHooks.class.getName() + ".", "Implement ServerHooks, or remove the class from the list.");
		}
		return type;
	}

}
